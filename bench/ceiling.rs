//! The ceiling: the most actix-web can do on this machine for Gazette's payloads.
//!
//! ```sh
//! bench-ceiling capture --origin http://127.0.0.1:8080 --paths PATHS --out SNAPSHOT
//! bench-ceiling serve --snapshot SNAPSHOT --bind 127.0.0.1:8090
//! ```
//!
//! `capture` GETs every path listed in PATHS (one per line, with its query string) from a
//! running Gazette and keeps status, headers and body. `serve` answers those same paths
//! from memory with those exact bytes: one handler, no database, no serialization, no
//! middleware. A GET whose `If-None-Match` equals the stored ETag is a 304; any other method
//! on a stored path (the writes of the mixed workload) is answered as its GET. Everything
//! else is a 404.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, BufWriter, Write};

use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::web::{self, Bytes};
use actix_web::{App, HttpRequest, HttpResponse, HttpServer};
use serde::{Deserialize, Serialize};

/// One response as captured.
#[derive(Serialize, Deserialize)]
struct Captured {
    path: String,
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

/// One response as served.
struct Entry {
    status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    etag: Option<HeaderValue>,
    body: Bytes,
}

/// Headers that belong to one exchange, not to the response's content.
const PER_EXCHANGE: [&str; 5] = [
    "date",
    "content-length",
    "connection",
    "transfer-encoding",
    "x-request-id",
];

fn capture(origin: &str, paths: &str, out: &str) -> Result<(), Box<dyn std::error::Error>> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let list = BufReader::new(std::fs::File::open(paths)?);
    let mut out = BufWriter::new(std::fs::File::create(out)?);
    let mut count = 0;
    for path in list.lines() {
        let path = path?;
        let path = path.trim();
        if path.is_empty() {
            continue;
        }
        let mut res = agent.get(&format!("{origin}{path}")).call()?;
        let status = res.status().as_u16();
        let headers = res
            .headers()
            .iter()
            .filter(|(name, _)| !PER_EXCHANGE.contains(&name.as_str()))
            .filter_map(|(name, value)| Some((name.to_string(), value.to_str().ok()?.to_owned())))
            .collect();
        let body = res
            .body_mut()
            .with_config()
            .limit(64 << 20)
            .read_to_string()?;
        serde_json::to_writer(
            &mut out,
            &Captured {
                path: path.to_owned(),
                status,
                headers,
                body,
            },
        )?;
        out.write_all(b"\n")?;
        count += 1;
    }
    out.flush()?;
    eprintln!("captured {count} responses from {origin}");
    Ok(())
}

fn load(snapshot: &str) -> Result<HashMap<String, Entry>, Box<dyn std::error::Error>> {
    let mut entries = HashMap::new();
    for line in BufReader::new(std::fs::File::open(snapshot)?).lines() {
        let c: Captured = serde_json::from_str(&line?)?;
        let headers: Vec<(HeaderName, HeaderValue)> = c
            .headers
            .iter()
            .map(|(n, v)| Ok((HeaderName::try_from(n.as_str())?, HeaderValue::from_str(v)?)))
            .collect::<Result<_, Box<dyn std::error::Error>>>()?;
        let etag = headers
            .iter()
            .find(|(n, _)| *n == header::ETAG)
            .map(|(_, v)| v.clone());
        entries.insert(
            c.path,
            Entry {
                status: StatusCode::from_u16(c.status)?,
                headers,
                etag,
                body: Bytes::from(c.body),
            },
        );
    }
    Ok(entries)
}

async fn answer(req: HttpRequest, entries: web::Data<HashMap<String, Entry>>) -> HttpResponse {
    let key = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.path(), |pq| pq.as_str());
    let Some(entry) = entries.get(key) else {
        return HttpResponse::NotFound().finish();
    };
    if req.method() == Method::GET
        && let (Some(etag), Some(asked)) = (&entry.etag, req.headers().get(header::IF_NONE_MATCH))
        && asked == etag
    {
        return HttpResponse::NotModified()
            .insert_header((header::ETAG, etag.clone()))
            .finish();
    }
    let mut res = HttpResponse::build(entry.status);
    for (name, value) in &entry.headers {
        res.insert_header((name.clone(), value.clone()));
    }
    res.body(entry.body.clone())
}

fn usage() -> ! {
    eprintln!(
        "usage: bench-ceiling capture --origin URL --paths FILE --out SNAPSHOT\n       \
         bench-ceiling serve --snapshot SNAPSHOT [--bind ADDR] [--workers N]"
    );
    std::process::exit(2)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| usage());
    let mut opts: HashMap<String, String> = HashMap::new();
    while let Some(name) = args.next() {
        let value = args.next().unwrap_or_else(|| usage());
        opts.insert(name.trim_start_matches("--").to_owned(), value);
    }
    let opt = |name: &str| opts.get(name).cloned().unwrap_or_else(|| usage());
    match mode.as_str() {
        "capture" => capture(&opt("origin"), &opt("paths"), &opt("out")),
        "serve" => {
            let entries = web::Data::new(load(&opt("snapshot"))?);
            let bind = opts
                .get("bind")
                .cloned()
                .unwrap_or_else(|| "127.0.0.1:8090".to_owned());
            let workers = opts.get("workers").and_then(|w| w.parse().ok());
            actix_web::rt::System::new().block_on(async move {
                let mut server = HttpServer::new(move || {
                    App::new()
                        .app_data(entries.clone())
                        .default_service(web::to(answer))
                });
                if let Some(workers) = workers {
                    server = server.workers(workers);
                }
                server.bind(&bind)?.run().await
            })?;
            Ok(())
        }
        _ => usage(),
    }
}
