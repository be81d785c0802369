//! Request extractors whose rejections are problem+json like every other
//! error, and which name the offending field.
use axum::extract::{FromRequest, FromRequestParts, MatchedPath, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::AppState;
use crate::http::json::{self, BodyError};
use crate::store::error::{AppError, FieldError};
use crate::store::natural_keys;

/// JSON body in, JSON body out. Unknown fields are refused by the request
/// types themselves (`deny_unknown_fields`); this extractor turns serde's
/// complaint into a 422 naming the field path.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned> FromRequest<AppState> for Json<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        check_json_content_type(&req)?;
        let keys = NaturalKeys::of(&req);
        let bytes = read_body(req, state).await?;
        parse_body(&bytes, state, keys).await.map(Json)
    }
}

/// Whether a body's natural keys stand for ids (see
/// [`natural_keys::resolve_keys`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NaturalKeys {
    Resolve,
    /// The body is a part's own master data, where `part_number` is the
    /// part's key, not a reference to another part.
    PartsOwn,
}

/// The routes whose bodies are a part's own fields.
const PART_MASTER_ROUTES: [&str; 2] = ["/api/v1/parts", "/api/v1/parts/{id}"];

impl NaturalKeys {
    fn of(req: &Request) -> Self {
        let route = req
            .extensions()
            .get::<MatchedPath>()
            .map(MatchedPath::as_str);
        if route.is_some_and(|r| PART_MASTER_ROUTES.contains(&r)) {
            NaturalKeys::PartsOwn
        } else {
            NaturalKeys::Resolve
        }
    }
}

/// Parses a body by the rules of [`crate::http::json`], with part numbers
/// and codes given instead of ids turned into ids first.
async fn parse_body<T: DeserializeOwned>(
    bytes: &[u8],
    state: &AppState,
    keys: NaturalKeys,
) -> Result<T, AppError> {
    let mut document = json::parse_document(bytes).map_err(body_error)?;
    if keys == NaturalKeys::Resolve {
        natural_keys::resolve_keys(&state.db, &mut document).await?;
    }
    json::from_document(document).map_err(body_error)
}

/// Refuses bodies that do not say they are JSON with 415.
fn check_json_content_type(req: &Request) -> Result<(), AppError> {
    let content_type = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim();
    if mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")) {
        Ok(())
    } else {
        Err(AppError::UnsupportedMediaType(format!(
            "expected `Content-Type: application/json`, got `{content_type}`"
        )))
    }
}

/// Reads the body within the configured limit (413 beyond it).
async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::MalformedJson(rejection.body_text())
        }
    })
}

/// The problem a body parsing error answers: syntax errors (400) apart
/// from well-formed JSON of the wrong shape (422 naming the field).
fn body_error(e: BodyError) -> AppError {
    match e {
        BodyError::Syntax(message) => AppError::MalformedJson(message),
        BodyError::Shape { path, message } => {
            AppError::Validation(vec![field_error(&path, &message)])
        }
    }
}

/// serde reports unknown and missing fields at the enclosing path; put the
/// field's own name in the path so the client sees which one.
fn field_error(path: &str, message: &str) -> FieldError {
    let message = message.split(" at line ").next().unwrap_or(message);
    let named = ["unknown field `", "missing field `", "duplicate field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match (named, path) {
        (Some(name), "." | "") => name.to_owned(),
        (Some(name), path) if path == name || path.ends_with(&format!(".{name}")) => {
            path.to_owned()
        }
        (Some(name), parent) => format!("{parent}.{name}"),
        (None, "." | "") => "body".to_owned(),
        (None, path) => path.to_owned(),
    };
    let missing_id = message.starts_with("missing field `");
    match named.and_then(natural_keys::natural_key_for) {
        Some((natural, _)) if missing_id => {
            let id = named.unwrap_or_default();
            FieldError::new(field, format!("{message}: give `{id}` or `{natural}`"))
        }
        _ => FieldError::new(field, message),
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Query string parameters; unknown and malformed ones are a 422 naming
/// the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        let query = parts.uri.query().unwrap_or("");
        let pairs = form_urlencoded::parse(query.as_bytes());
        if let Some((name, _)) = pairs
            .clone()
            .find(|(k, v)| k.contains('\0') || v.contains('\0'))
        {
            return Err(AppError::field(
                name.replace('\0', "\\u0000"),
                "must not contain NUL characters",
            ));
        }
        let de = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(de)
            .map(Query)
            .map_err(|err| {
                let path = err.path().to_string();
                AppError::Validation(vec![field_error(&path, &err.into_inner().to_string())])
            })
    }
}

/// Path parameters; a malformed id is a 400 naming the parameter.
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        let decoded = percent_encoding::percent_decode_str(parts.uri.path());
        if decoded.into_iter().any(|b| b == 0) {
            return Err(AppError::BadParameter {
                what: "path",
                detail: "must not contain NUL characters".into(),
            });
        }
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(value)| Path(value))
            .map_err(|rejection| AppError::BadParameter {
                what: "path",
                detail: rejection.body_text(),
            })
    }
}

/// A JSON body plus what idempotency needs: the `Idempotency-Key` header
/// and a fingerprint of method, path and body, so a reused key with a
/// different request is recognised.
#[derive(Debug, Clone)]
pub struct IdempotentJson<T> {
    pub value: T,
    pub key: Option<String>,
    pub fingerprint: String,
}

impl<T: DeserializeOwned> FromRequest<AppState> for IdempotentJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        use sha2::Digest;
        let key = idempotency_key(req.headers())?;
        let mut hasher = request_hasher(req.method(), req.uri());
        check_json_content_type(&req)?;
        let keys = NaturalKeys::of(&req);
        let bytes = read_body(req, state).await?;
        hasher.update(&bytes);
        let value = parse_body(&bytes, state, keys).await?;
        Ok(IdempotentJson {
            value,
            key,
            fingerprint: hex::encode(hasher.finalize()),
        })
    }
}

fn idempotency_key(headers: &axum::http::HeaderMap) -> Result<Option<String>, AppError> {
    match headers.get("idempotency-key") {
        Some(v) => {
            let k = v.to_str().map_err(|_| AppError::BadParameter {
                what: "Idempotency-Key",
                detail: "must be visible ASCII".into(),
            })?;
            crate::http::idempotency::validate_key(k)?;
            Ok(Some(k.to_owned()))
        }
        None => Ok(None),
    }
}

fn request_hasher(method: &axum::http::Method, uri: &axum::http::Uri) -> sha2::Sha256 {
    use sha2::Digest;
    let mut hasher = sha2::Sha256::new();
    hasher.update(method.as_str().as_bytes());
    hasher.update(b" ");
    hasher.update(uri.path().as_bytes());
    hasher.update(b"\n");
    hasher
}

/// The idempotency key and fingerprint of a POST without a body.
#[derive(Debug, Clone)]
pub struct IdempotentCall {
    pub key: Option<String>,
    pub fingerprint: String,
}

impl<S: Send + Sync> FromRequestParts<S> for IdempotentCall {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, AppError> {
        use sha2::Digest;
        Ok(IdempotentCall {
            key: idempotency_key(&parts.headers)?,
            fingerprint: hex::encode(request_hasher(&parts.method, &parts.uri).finalize()),
        })
    }
}
