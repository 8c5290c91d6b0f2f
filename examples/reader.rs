//! The reference reader in one command: `cargo run --example reader`.
//!
//! Serves the static site in `examples/reader/` (plain HTML, CSS and native ES modules) on
//! http://127.0.0.1:8000. Unless `--api` names a running Gazette, it also starts one in this
//! process on http://127.0.0.1:8080, as `gazette serve --demo` would, on a temporary database:
//! the demo newsroom, an admin key for "Edit Content" (printed), canonical, share and preview
//! URLs on the reader, and the reader's origin allowed to write. The two are different origins, so
//! the page reads the API exactly as a news site on its own domain would: over CORS.

use std::error::Error;
use std::path::PathBuf;

use actix_web::http::header;
use actix_web::{App, HttpResponse, HttpServer, guard, web};
use clap::Parser;
use gazette::config::Settings;

/// Serve the reference reader, and a demo Gazette for it unless `--api` is given.
#[derive(Parser)]
struct Args {
    /// Address for the reader.
    #[arg(long, default_value = "127.0.0.1:8000")]
    bind: String,
    /// A running Gazette for the reader (e.g. http://127.0.0.1:8080); none starts one here.
    #[arg(long)]
    api: Option<String>,
    /// Address for the Gazette started here.
    #[arg(long, default_value = "127.0.0.1:8080")]
    api_bind: String,
}

/// The site's files: nothing else in the folder is served.
const FILES: [(&str, &str); 14] = [
    ("index.html", "text/html; charset=utf-8"),
    ("style.css", "text/css; charset=utf-8"),
    ("story.css", "text/css; charset=utf-8"),
    ("live.css", "text/css; charset=utf-8"),
    ("app.js", "text/javascript; charset=utf-8"),
    ("config.js", "text/javascript; charset=utf-8"),
    ("api.js", "text/javascript; charset=utf-8"),
    ("dom.js", "text/javascript; charset=utf-8"),
    ("images.js", "text/javascript; charset=utf-8"),
    ("teasers.js", "text/javascript; charset=utf-8"),
    ("editor.js", "text/javascript; charset=utf-8"),
    ("story.js", "text/javascript; charset=utf-8"),
    ("live.js", "text/javascript; charset=utf-8"),
    ("pages.js", "text/javascript; charset=utf-8"),
];

struct Site {
    dir: PathBuf,
    api: String,
}

/// One of the site's files, read at each request so that edits show on reload.
async fn file(site: web::Data<Site>, name: web::Path<String>) -> HttpResponse {
    serve(&site, &name)
}

async fn index(site: web::Data<Site>) -> HttpResponse {
    serve(&site, "index.html")
}

fn serve(site: &Site, name: &str) -> HttpResponse {
    let Some((_, content_type)) = FILES.iter().find(|(file, _)| *file == name) else {
        return HttpResponse::NotFound().body("Not found\n");
    };
    match std::fs::read_to_string(site.dir.join(name)) {
        Ok(text) => {
            let text = if name == "index.html" {
                with_api(&text, &site.api)
            } else {
                text
            };
            HttpResponse::Ok()
                .content_type(*content_type)
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .body(text)
        }
        Err(err) => {
            HttpResponse::InternalServerError().body(format!("cannot read {name}: {err}\n"))
        }
    }
}

/// The page finds the API in `<meta name="gazette-api">`: point it at the one in use.
fn with_api(html: &str, api: &str) -> String {
    const MARK: &str = r#"name="gazette-api" content=""#;
    let Some(start) = html.find(MARK).map(|i| i + MARK.len()) else {
        return html.to_owned();
    };
    let Some(len) = html[start..].find('"') else {
        return html.to_owned();
    };
    let escaped = api
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;");
    format!("{}{escaped}{}", &html[..start], &html[start + len..])
}

/// Canonical and share URLs (`{SITE_URL}/articles/{slug}`) land on the article's page.
async fn article(slug: web::Path<String>) -> HttpResponse {
    if !slug.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return HttpResponse::NotFound().body("Not found\n");
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("/#/articles/{slug}")))
        .finish()
}

/// Preview links (`{SITE_URL}/preview/{token}`) land on the preview page; the token moves
/// into the fragment, which the browser sends to no server.
async fn preview(token: web::Path<String>) -> HttpResponse {
    if token.is_empty()
        || token.len() > 64
        || !token
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return HttpResponse::NotFound().body("Not found\n");
    }
    HttpResponse::Found()
        .insert_header((header::LOCATION, format!("/#/preview/{token}")))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}

fn get_or_head() -> actix_web::Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Starts Gazette with the demo newsroom on a database in `dir`; returns the server and an
/// admin key.
fn start_gazette(
    dir: &tempfile::TempDir,
    bind: &str,
    reader_origins: Vec<String>,
) -> Result<(actix_web::dev::Server, String), Box<dyn Error>> {
    let path = dir.path().join("gazette.db");
    let pool = gazette::db::open(path.to_str().ok_or("the temporary path is not UTF-8")?, 4)?;
    let key = {
        let conn = &mut *pool.get()?;
        gazette::demo::load(conn, &gazette::demo::images_base(bind))?;
        let (_, key) =
            gazette::db::keys::create(conn, "reference reader", "admin", gazette::db::now())?;
        key
    };
    let settings = Settings {
        site_url: reader_origins[0].clone(),
        site_name: "The Calder Courier".to_owned(),
        cors_allowed_origins: reader_origins,
        demo: true,
        ..Settings::default()
    };
    let prepared = gazette::app::Prepared::new(pool, settings);
    let server = HttpServer::new(move || gazette::app::build(prepared.clone()))
        .workers(2)
        .bind(bind)
        .map_err(|e| format!("cannot listen on {bind}: {e} (pass --api-bind, or --api URL)"))?
        .run();
    Ok((server, key))
}

async fn run(args: Args) -> Result<(), Box<dyn Error>> {
    let reader_url = format!("http://{}", args.bind);
    // A browser may call the reader by either loopback name; both may write.
    let origins = vec![
        reader_url.clone(),
        reader_url.replace("://127.0.0.1:", "://localhost:"),
    ];
    let dir = tempfile::tempdir()?;
    let (api, gazette) = match &args.api {
        Some(url) => (url.trim_end_matches('/').to_owned(), None),
        None => {
            let (server, key) = start_gazette(&dir, &args.api_bind, origins)?;
            (format!("http://{}", args.api_bind), Some((server, key)))
        }
    };
    let site = web::Data::new(Site {
        dir: PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/reader"),
        api: api.clone(),
    });
    let reader = HttpServer::new(move || {
        App::new()
            .app_data(site.clone())
            .route("/", get_or_head().to(index))
            .route("/articles/{slug}", get_or_head().to(article))
            .route("/preview/{token}", get_or_head().to(preview))
            .route("/{name}", get_or_head().to(file))
    })
    .workers(2)
    .bind(&args.bind)
    .map_err(|e| format!("cannot listen on {}: {e} (pass --bind)", args.bind))?
    .run();

    match gazette {
        Some((server, key)) => {
            println!("Gazette with the demo newsroom (temporary database): {api}");
            println!("Admin key for \"Edit Content\" (enter it at the foot of the reader): {key}");
            println!("The reference reader: {reader_url}/");
            futures_util::future::try_join(server, reader).await?;
        }
        None => {
            println!("Reading the Gazette at {api}");
            println!("The reference reader: {reader_url}/");
            reader.await?;
        }
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn Error>> {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let args = Args::parse();
    actix_web::rt::System::new().block_on(run(args))
}
