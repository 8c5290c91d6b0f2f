//! `gazette serve`: the HTTP server.

use actix_web::HttpServer;

use super::CliResult;
use crate::app::{self, Prepared};
use crate::config::ServeArgs;
use crate::{db, demo, golive, purger, webhooks};

pub async fn serve(database_url: &str, args: ServeArgs) -> CliResult {
    let pool = db::open(database_url, args.db_pool_size)?;
    if args.demo {
        let conn = &mut *pool.get()?;
        match demo::load(conn)? {
            Some(n) => log::info!("loaded the demo newsroom: {n} articles"),
            None => log::info!("the database already has articles; demo content not loaded"),
        }
    }
    let worker_config = webhooks::WorkerConfig::from_settings(&args.settings());
    let purge_urls = args.settings().cache_purge_urls;
    let prepared = Prepared::new(pool.clone(), args.settings());
    // A storage task on a blocking thread holds or waits for one of the pool's connections:
    // threads beyond the pool's size would only wait, each with its own allocator arena
    // (under a mixed load 52 threads held 180 MiB).
    let mut server = HttpServer::new(move || app::build(prepared.clone()))
        .shutdown_timeout(10)
        .worker_max_blocking_threads(args.db_pool_size as usize);
    if let Some(workers) = args.workers {
        server = server.workers(workers);
    }
    let server = server
        .bind(&args.bind)
        .map_err(|e| format!("cannot listen on {}: {e}", args.bind))?;
    log::info!(
        "Gazette listening on http://{} (database {})",
        args.bind,
        db::redact(database_url)
    );
    let go_live = golive::GoLiveWorker::start(pool.clone());
    let purger = purger::Purger::start(pool.clone(), purge_urls);
    let worker = webhooks::Worker::start(pool, worker_config);
    server.run().await?;
    go_live.stop().await;
    worker.stop().await;
    purger.stop();
    Ok(())
}
