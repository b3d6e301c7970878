//! The HTTP layer: routes, extractors, error mapping. Handlers extract, run one closure of
//! storage calls on a blocking thread (`Database::read`/`write`), and shape the response.

pub mod as_of;
pub mod caller;
pub mod csv;
pub mod extract;
pub mod idempotent;
pub mod merge_patch;
pub mod observe;
pub mod openapi;
pub mod problem;
pub mod render;
pub mod routes;
pub mod stream;

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, Condition, DefaultHeaders};
use actix_web::web::{self, Data};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse};
use utoipa::OpenApi as _;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::{CallerCache, TokenService};
use crate::error::Error;
use crate::storage::Database;
use observe::Metrics;

/// What every handler can reach.
pub struct AppState {
    pub db: Database,
    pub tokens: TokenService,
    /// Callers resolved from their tokens, kept while their accounts do not change.
    pub callers: Arc<CallerCache>,
    pub metrics: Arc<Metrics>,
    pub max_batch_bytes: usize,
    /// Batch bodies parsed at once by this instance (each holds a blocking thread while its
    /// body arrives): past it, 503 with Retry-After, so slow uploads cannot take the threads
    /// the database calls run on.
    pub batch_slots: Arc<tokio::sync::Semaphore>,
}

/// Batch bodies one instance parses at once.
pub const BATCH_SLOTS: usize = 2;

/// The spec as the code declares it (the `openapi` subcommand and the snapshot test).
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes::register)
        .split_for_parts();
    openapi::finish(api)
}

/// The whole application: API routes, Swagger UI, problem+json fallbacks, CORS, observation.
pub fn app(
    state: Data<AppState>,
    cors_origins: &[String],
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .app_data(state)
        .app_data(web::PathConfig::default().error_handler(extract::path_error))
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes::register)
        .split_for_parts();
    let api = openapi::finish(api);
    let route_table = Data::new(RouteTable::from_openapi(&api));
    app.app_data(route_table)
        .service(SwaggerUi::new("/swagger-ui/{_:.*}").url("/api-docs/openapi.json", api))
        // People type the address without the slash, or just the host.
        .route("/swagger-ui", web::get().to(to_swagger_ui))
        .route("/", web::get().to(to_swagger_ui))
        .default_service(web::to(fallback))
        .wrap(Condition::new(!cors_origins.is_empty(), cors(cors_origins)))
        // No browser runs a JSON, CSV or problem body as a page (OWASP API8).
        .wrap(DefaultHeaders::new().add((header::X_CONTENT_TYPE_OPTIONS, "nosniff")))
        .wrap(from_fn(observe::observe))
        // Outermost: routing, metrics and logs see the normalized request.
        .wrap(from_fn(normalize))
}

/// Marks a request that arrived as `HEAD` and is served as `GET`.
#[derive(Debug, Clone, Copy)]
struct HeadRequest;

/// Two things every route gets without registering them:
/// - a trailing slash is ignored (`/api/v1/organizations/` is `/api/v1/organizations`), except
///   under `/swagger-ui/`, which needs it;
/// - `HEAD` is answered on every `GET` route like `GET`, without the body (load balancers
///   probe `/healthz` with `HEAD`).
async fn normalize(
    mut req: ServiceRequest,
    next: actix_web::middleware::Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error> {
    let path = req.path();
    if path.len() > 1 && path.ends_with('/') && !path.starts_with("/swagger-ui/") {
        let trimmed = match path.trim_end_matches('/') {
            "" => "/",
            trimmed => trimmed,
        };
        let path_and_query = match req.query_string() {
            "" => trimmed.to_owned(),
            query => format!("{trimmed}?{query}"),
        };
        let mut parts = req.head().uri.clone().into_parts();
        if let Ok(path_and_query) = path_and_query.parse() {
            parts.path_and_query = Some(path_and_query);
            if let Ok(uri) = actix_web::http::Uri::from_parts(parts) {
                req.match_info_mut().get_mut().update(&uri);
                req.head_mut().uri = uri;
            }
        }
    }
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
        req.extensions_mut().insert(HeadRequest);
    }
    let response = next.call(req).await?;
    if head {
        // The headers of GET (ETag, Content-Type, …), no body.
        Ok(response.map_body(|_, _| actix_web::body::BoxBody::new(actix_web::body::None::new())))
    } else {
        Ok(response.map_into_boxed_body())
    }
}

fn cors(origins: &[String]) -> Cors {
    let mut cors = Cors::default()
        .allowed_methods(["GET", "POST", "PUT", "PATCH", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(observe::REQUEST_ID_HEADER),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::HeaderName::from_static(observe::REQUEST_ID_HEADER),
        ])
        // Same-origin requests (Swagger UI) carry an Origin too: never refuse them here.
        .block_on_origin_mismatch(false)
        .max_age(3600);
    for origin in origins {
        cors = cors.allowed_origin(origin);
    }
    cors
}

/// The documented paths and their methods, to tell a wrong method (405) from a wrong path (404).
pub struct RouteTable {
    routes: Vec<(Vec<Option<String>>, Vec<Method>)>,
}

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let segments = path
                    .trim_matches('/')
                    .split('/')
                    .map(|segment| {
                        (!(segment.starts_with('{') && segment.ends_with('}')))
                            .then(|| segment.to_owned())
                    })
                    .collect();
                let methods = [
                    (item.get.is_some(), Method::GET),
                    // `normalize` answers HEAD wherever there is a GET.
                    (item.get.is_some(), Method::HEAD),
                    (item.post.is_some(), Method::POST),
                    (item.put.is_some(), Method::PUT),
                    (item.patch.is_some(), Method::PATCH),
                    (item.delete.is_some(), Method::DELETE),
                ]
                .into_iter()
                .filter_map(|(present, method)| present.then_some(method))
                .collect();
                (segments, methods)
            })
            .collect();
        Self { routes }
    }

    /// The methods the path answers to, if it is a documented path. A literal path wins over a
    /// template it also matches (OpenAPI's rule): `/submissions/batch` is not `/submissions/{id}`.
    pub fn methods_for(&self, path: &str) -> Option<Vec<Method>> {
        let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
        let matching: Vec<&(Vec<Option<String>>, Vec<Method>)> = self
            .routes
            .iter()
            .filter(|(pattern, _)| {
                pattern.len() == segments.len()
                    && pattern.iter().zip(&segments).all(|(expected, actual)| {
                        expected.as_deref().is_none_or(|literal| literal == *actual)
                    })
            })
            .collect();
        let literals = |pattern: &Vec<Option<String>>| pattern.iter().flatten().count();
        let most = matching
            .iter()
            .map(|(pattern, _)| literals(pattern))
            .max()?;
        let methods: Vec<Method> = matching
            .into_iter()
            .filter(|(pattern, _)| literals(pattern) == most)
            .flat_map(|(_, methods)| methods.iter().cloned())
            .collect();
        (!methods.is_empty()).then_some(methods)
    }
}

async fn to_swagger_ui() -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, "/swagger-ui/"))
        .finish()
}

/// Unknown paths are 404, known paths with another method 405, both as problem+json.
async fn fallback(req: HttpRequest, routes: Data<RouteTable>) -> HttpResponse {
    use actix_web::ResponseError;
    match routes.methods_for(req.path()) {
        Some(methods) => method_not_allowed(&req, &methods),
        None => Error::NotFound(format!("there is no resource at {}", req.path())).error_response(),
    }
}

/// 405 with `Allow`, for a documented path and a method it does not answer to.
pub fn method_not_allowed(req: &HttpRequest, allowed: &[Method]) -> HttpResponse {
    use actix_web::ResponseError;
    let method = match req.extensions().get::<HeadRequest>() {
        Some(_) => Method::HEAD,
        None => req.method().clone(),
    };
    let allow = allowed
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let mut response = Error::MethodNotAllowed(format!(
        "{method} is not allowed on {}; use {allow}",
        req.path()
    ))
    .error_response();
    if let Ok(value) = header::HeaderValue::from_str(&allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
