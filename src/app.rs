//! The actix application: the single list of routes, middleware and error handling, built
//! the same way for the server and for the tests.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, ErrorHandlerResponse, ErrorHandlers, Logger, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};
use utoipa::OpenApi;
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::{Config, SwaggerUi};

use crate::api::{self, meta::SpecJson};
use crate::cache::responses::ResponseCache;
use crate::config::{Limits, Settings};
use crate::db::Pool;
use crate::error::{ApiError, PROBLEM_JSON, problem_for_status};
use crate::follower::Follower;
use crate::hub::Hub;
use crate::middleware::admission::{self, Admission};
use crate::middleware::{conditional, cors, response_cache, screen};
use crate::observe::{self, Metrics};
use crate::openapi::ApiDoc;
use crate::ratelimit::Limiters;
use crate::search_index::SearchIndex;
use crate::state::AppState;

/// Every route of the API. The OpenAPI document is collected from this list.
fn routes(cfg: &mut ServiceConfig) {
    cfg.service(api::meta::health)
        .service(api::meta::readiness)
        .service(api::meta::metrics)
        .service(api::meta::openapi_json)
        .service(api::feeds::feed)
        .service(api::feeds::sitemap)
        .service(api::demo_images::demo_image)
        .service(
            scope("/api/v1")
                .service(api::articles::list_articles)
                .service(api::suggest::suggest_searches)
                .service(api::articles::create_article)
                .service(api::articles::get_article)
                .service(api::articles::update_article)
                .service(api::articles::delete_article)
                .service(api::articles::list_related)
                .service(api::articles::replace_related)
                .service(api::articles::list_revisions)
                .service(api::articles::get_revision)
                .service(api::articles::restore_revision)
                .service(api::articles::create_preview)
                .service(api::articles::list_previews)
                .service(api::articles::delete_preview)
                .service(api::articles::get_preview)
                .service(api::articles::correct_article)
                .service(api::articles::list_blocks)
                .service(api::articles::create_block)
                .service(api::articles::get_block)
                .service(api::articles::update_block)
                .service(api::articles::delete_block)
                .service(api::changes::list_changes)
                .service(api::stream::stream_changes)
                .service(api::authors::list_authors)
                .service(api::authors::create_author)
                .service(api::authors::get_author)
                .service(api::authors::update_author)
                .service(api::authors::delete_author)
                .service(api::collections::list_collections)
                .service(api::collections::create_collection)
                .service(api::collections::get_collection)
                .service(api::collections::update_collection)
                .service(api::collections::replace_items)
                .service(api::collections::delete_collection)
                .service(api::tags::list_tags)
                .service(api::tags::create_tag)
                .service(api::tags::get_tag)
                .service(api::tags::update_tag)
                .service(api::tags::delete_tag)
                .service(api::transfer::import_content)
                .service(api::webhooks::list_webhooks)
                .service(api::webhooks::create_webhook)
                .service(api::webhooks::get_webhook)
                .service(api::webhooks::update_webhook)
                .service(api::webhooks::delete_webhook)
                .service(api::webhooks::list_deliveries)
                .service(api::webhooks::redeliver),
        );
}

/// The OpenAPI document of [`routes`]; needs no server and no database.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut spec) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(routes)
        .split_for_parts();
    crate::openapi::add_sparse_forms(&mut spec);
    crate::openapi::add_guard_responses(&mut spec);
    crate::openapi::add_validator_headers(&mut spec);
    crate::openapi::serve_problems_as_problem_json(&mut spec);
    spec
}

/// The OpenAPI document as served, stating the configured `limits`.
pub fn openapi_json(limits: &Limits) -> String {
    let json = crate::openapi::with_limits(&openapi(), limits);
    serde_json::to_string_pretty(&json).expect("the OpenAPI document serializes")
}

/// Path templates and their methods, to tell 405 from 404.
#[derive(Debug)]
pub struct RouteTable(Vec<(ResourceDef, Vec<Method>)>);

impl RouteTable {
    fn from_spec(spec: &utoipa::openapi::OpenApi) -> Self {
        let routes = spec
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<Method> = [
                    (item.get.is_some(), Method::GET),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(present, m)| present.then_some(m))
                .collect();
                methods.sort_by(|a, b| a.as_str().cmp(b.as_str()));
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        Self(routes)
    }

    /// The methods the route matching `path` answers, if any route does.
    pub fn allowed(&self, path: &str) -> Option<&[Method]> {
        self.0
            .iter()
            .find(|(def, _)| def.is_match(path))
            .map(|(_, methods)| methods.as_slice())
    }
}

/// What every worker's app shares, prepared once.
#[derive(Clone)]
pub struct Prepared {
    state: web::Data<AppState>,
    spec: web::Data<SpecJson>,
    routes: web::Data<RouteTable>,
    metrics: web::Data<Metrics>,
    admission: web::Data<Admission>,
    responses: web::Data<ResponseCache>,
    /// Hands each change on to the open event streams.
    hub: web::Data<Hub>,
    /// Keeps `responses` in step with the change log while any worker's app holds it.
    follower: web::Data<Follower>,
}

impl Prepared {
    /// The search indexes: filled on a thread of its own after [`Prepared::new`].
    pub fn search_index(&self) -> Arc<SearchIndex> {
        self.state.search.clone()
    }

    /// The hub of the event streams: closed when the server stops.
    pub fn hub(&self) -> std::sync::Arc<Hub> {
        self.hub.clone().into_inner()
    }

    pub fn new(pool: Pool, settings: Settings) -> Self {
        let spec = openapi();
        let json = openapi_json(&settings.limits);
        // The cache starts empty, so at the end of the log; without the log, it keeps nothing.
        let last = pool
            .get()
            .map_err(|e| e.to_string())
            .and_then(|mut conn| crate::db::changes::last(&mut conn).map_err(|e| e.to_string()));
        let responses = web::Data::new(match last {
            Ok(applied) => ResponseCache::new(settings.response_cache_bytes, applied),
            Err(e) => {
                log::warn!("rendered responses are not kept: the change log is unreadable: {e}");
                ResponseCache::new(0, 0)
            }
        });
        let hub = web::Data::new(Hub::new(responses.applied(), settings.max_streams));
        let search = search_indexes(&pool);
        let follower = Follower::start(
            pool.clone(),
            responses.clone().into_inner(),
            hub.clone().into_inner(),
            search.clone(),
            settings.change_log_retention_days,
        );
        let admission = Admission::new(settings.reads, pool.max_size(), settings.trust_proxy);
        Self {
            admission: web::Data::new(admission),
            responses,
            hub,
            follower: web::Data::new(follower),
            routes: web::Data::new(RouteTable::from_spec(&spec)),
            metrics: web::Data::new(Metrics::default()),
            spec: web::Data::new(SpecJson(json)),
            state: web::Data::new(AppState {
                pool,
                limiters: Limiters::new(settings.rate_limits, settings.trust_proxy),
                search,
                settings,
            }),
        }
    }
}

/// The search indexes, filled on a thread of its own while the server answers, the public
/// one first (searches wait for their index, then answer 503, and `/readyz` says the server
/// is not ready to take traffic until the public one is filled); a failed fill is tried again
/// every second.
fn search_indexes(pool: &Pool) -> Arc<SearchIndex> {
    let index = Arc::new(SearchIndex::new());
    let (filling, pool) = (index.clone(), pool.clone());
    let fill = move || {
        let started = std::time::Instant::now();
        loop {
            match filling.fill(&pool) {
                Ok((public, all)) => {
                    log::info!(
                        "the search indexes hold {public} live articles and {all} in all, \
                         filled in {:.2} s",
                        started.elapsed().as_secs_f64()
                    );
                    return;
                }
                Err(e) => log::warn!("the search indexes are not filled yet: {e}"),
            }
            std::thread::sleep(std::time::Duration::from_secs(1));
            if Arc::strong_count(&filling) == 1 {
                return; // The server is gone.
            }
        }
    };
    if let Err(e) = std::thread::Builder::new()
        .name("gazette-search-fill".to_owned())
        .spawn(fill)
    {
        log::error!("the search indexes are not filled: {e}");
    }
    index
}

async fn fallback(
    req: HttpRequest,
    routes: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    Err(match routes.allowed(req.path()) {
        Some(allow) => ApiError::MethodNotAllowed {
            method: req.method().clone(),
            allow: allow.to_vec(),
        },
        None => ApiError::not_found(format!("No resource lives at {}.", req.path())),
    })
}

/// Turns any error response that is not yet problem details (actix's own) into one.
fn problem_details<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .response()
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = match res.response().error() {
        Some(err) if status.is_client_error() => err.to_string(),
        _ => status.canonical_reason().unwrap_or("Error").to_owned(),
    };
    let (req, original) = res.into_parts();
    let mut response = problem_for_status(status, detail);
    for (name, value) in original.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, response).map_into_right_body(),
    ))
}

/// Access log lines: actix's default format (its request line without secrets, see
/// [`observe::logged_request_line`]), then the request id.
const LOG_FORMAT: &str =
    r#"%a "%{request_line}xi" %s %b "%{Referer}i" "%{User-Agent}i" %T request_id=%{x-request-id}o"#;

/// The application for one worker.
pub fn build(
    prepared: Prepared,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let settings = &prepared.state.settings;
    let (app, _) = App::new()
        .into_utoipa_app()
        .configure(routes)
        .split_for_parts();
    // The docs UI is not part of the API: registered beside it, absent from the spec.
    let docs = SwaggerUi::new("/docs/{_:.*}")
        .config(Config::new(["/openapi.json"]).try_it_out_enabled(true));
    app.service(web::redirect("/docs", "/docs/"))
        .service(docs)
        .app_data(prepared.state.clone())
        .app_data(prepared.spec.clone())
        .app_data(prepared.routes.clone())
        .app_data(prepared.metrics.clone())
        .app_data(prepared.admission.clone())
        .app_data(prepared.responses.clone())
        .app_data(prepared.hub.clone())
        .app_data(prepared.follower.clone())
        .app_data(web::PayloadConfig::new(settings.limits.body_bytes))
        .default_service(web::to(fallback))
        .wrap(from_fn(admission::admit))
        .wrap(from_fn(response_cache::serve))
        .wrap(from_fn(conditional::conditional))
        .wrap(from_fn(screen::screen))
        .wrap(from_fn(cors::cors))
        .wrap(ErrorHandlers::new().default_handler(problem_details))
        .wrap(from_fn(screen::security_headers))
        .wrap(from_fn(observe::track))
        .wrap(from_fn(observe::request_id))
        // Logger renders parts of its line for every request, logged or not (a measurable part
        // of a read answered from memory, BENCHMARKS.md): left out when its lines would be
        // dropped.
        .wrap(Condition::new(
            log::log_enabled!(target: "actix_web::middleware::logger", log::Level::Info),
            Logger::new(LOG_FORMAT)
                .custom_request_replace("request_line", observe::logged_request_line),
        ))
}
