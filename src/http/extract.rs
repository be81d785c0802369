//! Request extractors whose rejections are problem+json like every other
//! error, and which name the offending field.
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::http::json::{self, BodyError};
use crate::store::error::{AppError, FieldError};

/// JSON body in, JSON body out. Unknown fields are refused by the request
/// types themselves (`deny_unknown_fields`); this extractor turns serde's
/// complaint into a 422 naming the field path.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        check_json_content_type(&req)?;
        let bytes = read_body(req, state).await?;
        parse_json(&bytes).map(Json)
    }
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

/// Parses a JSON document by the rules of [`crate::http::json`], telling
/// syntax errors (400) apart from well-formed JSON of the wrong shape (422
/// naming the field).
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    json::parse(bytes).map_err(|e| match e {
        BodyError::Syntax(message) => AppError::MalformedJson(message),
        BodyError::Shape { path, message } => {
            AppError::Validation(vec![field_error(&path, &message)])
        }
    })
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
    FieldError::new(field, message)
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

impl<T, S> FromRequest<S> for IdempotentJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        use sha2::Digest;
        let key = idempotency_key(req.headers())?;
        let mut hasher = request_hasher(req.method(), req.uri());
        check_json_content_type(&req)?;
        let bytes = read_body(req, state).await?;
        hasher.update(&bytes);
        let value = parse_json(&bytes)?;
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
