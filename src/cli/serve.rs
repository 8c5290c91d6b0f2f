//! `gazette serve`: the HTTP server.

use actix_web::HttpServer;

use super::CliResult;
use crate::app::{self, Prepared};
use crate::config::ServeArgs;
use crate::hub::Hub;
use crate::{db, demo, golive, purger, webhooks};

pub async fn serve(database_url: &str, args: ServeArgs) -> CliResult {
    let pool = db::open(database_url, args.db_pool_size)?;
    if args.demo {
        let conn = &mut *pool.get()?;
        match demo::load(conn, &demo::images_base(&args.bind))? {
            Some(n) => log::info!("loaded the demo newsroom: {n} articles"),
            None => log::info!("the database already has articles; demo content not loaded"),
        }
    }
    let worker_config = webhooks::WorkerConfig::from_settings(&args.settings());
    let purge_urls = args.settings().cache_purge_urls;
    let prepared = Prepared::new(pool.clone(), args.settings());
    let hub = prepared.hub();
    // A storage task on a blocking thread holds or waits for one of the pool's connections:
    // threads beyond the pool's size would only wait, each with its own allocator arena
    // (under a mixed load 52 threads held 180 MiB).
    let mut server = HttpServer::new(move || app::build(prepared.clone()))
        .shutdown_timeout(10)
        // Signals are handled below: open event streams end first, then the server stops.
        .disable_signals()
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
    let server = server.run();
    actix_web::rt::spawn(stop_on_signal(server.handle(), hub));
    server.await?;
    go_live.stop().await;
    worker.stop().await;
    purger.stop();
    Ok(())
}

/// Waits for SIGTERM or SIGINT, then ends the open event streams (their clients resume on
/// another replica by their last event id) and stops the server gracefully: requests under
/// way finish, for up to its shutdown time.
async fn stop_on_signal(server: actix_web::dev::ServerHandle, hub: std::sync::Arc<Hub>) {
    use actix_web::rt::signal::unix::{SignalKind, signal};
    use futures_util::future::select;
    let (Ok(mut term), Ok(mut int)) = (
        signal(SignalKind::terminate()),
        signal(SignalKind::interrupt()),
    ) else {
        log::error!("cannot listen for SIGTERM and SIGINT: stop the server with SIGKILL");
        return;
    };
    select(std::pin::pin!(term.recv()), std::pin::pin!(int.recv())).await;
    log::info!("stopping: open event streams end, requests under way finish");
    hub.close();
    server.stop(true).await;
}
