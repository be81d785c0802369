//! CSV export of every list of the API: `Accept: text/csv` (or
//! `?format=csv`) on a list endpoint answers the whole filtered set as CSV,
//! streamed, whatever the paging. The rows are the ones the JSON list
//! answers — the same handler is called page after page (keyset paging,
//! [`PAGE_SIZE`] rows at a time), so filters, roles and every rule of the
//! list hold unchanged — with part numbers and codes beside ids as in JSON.
//!
//! The header row names the fields in the order the OpenAPI document lists
//! them (the same as the JSON), so it is there even when nothing matches.
//! Decimals are written as the JSON writes them, `null` as an empty cell,
//! and a nested object or array as its JSON text.
use std::collections::HashMap;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{MatchedPath, Request, State};
use axum::http::header::{ACCEPT, CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use serde_json::{Map, Value};
use utoipa::openapi::schema::{ArrayItems, Schema};
use utoipa::openapi::{OpenApi, RefOr};

use crate::store::error::AppError;
use crate::store::natural_keys;

/// Rows fetched per page while exporting: the largest page a list serves.
pub const PAGE_SIZE: i64 = 500;

/// The media type of the exports.
pub const TEXT_CSV: &str = "text/csv";

/// What the export middleware knows of the API: the lists and their
/// columns, read once from the OpenAPI document.
#[derive(Clone)]
pub struct Exports {
    db: DatabaseConnection,
    lists: Arc<HashMap<String, List>>,
}

/// A list endpoint: its columns, and whether it pages (answers
/// `{items, next_after}`) or answers all its rows as one array.
#[derive(Debug, Clone, PartialEq)]
struct List {
    columns: Vec<String>,
    paged: bool,
}

impl Exports {
    /// The lists among the GET operations of `spec` (after the natural
    /// keys are described in it, so their columns are there too).
    pub fn new(db: DatabaseConnection, spec: &OpenApi) -> Exports {
        Exports {
            db,
            lists: Arc::new(lists(spec)),
        }
    }
}

/// Every GET whose 200 answer is an array of objects or a page of them.
fn lists(spec: &OpenApi) -> HashMap<String, List> {
    let Some(components) = spec.components.as_ref() else {
        return HashMap::new();
    };
    let resolve = |schema: &RefOr<Schema>| -> Option<Schema> {
        match schema {
            RefOr::T(s) => Some(s.clone()),
            RefOr::Ref(r) => {
                let name = r.ref_location.rsplit('/').next()?;
                match components.schemas.get(name)? {
                    RefOr::T(s) => Some(s.clone()),
                    RefOr::Ref(_) => None,
                }
            }
        }
    };
    let columns_of = |items: &ArrayItems| -> Option<Vec<String>> {
        let ArrayItems::RefOrSchema(item) = items else {
            return None;
        };
        match resolve(item)? {
            Schema::Object(o) => Some(o.properties.keys().cloned().collect()),
            _ => None,
        }
    };
    let mut found = HashMap::new();
    for (path, item) in &spec.paths.paths {
        let Some(get) = item.get.as_ref() else {
            continue;
        };
        let Some(RefOr::T(ok)) = get.responses.responses.get("200") else {
            continue;
        };
        let Some(body) = ok
            .content
            .get("application/json")
            .and_then(|c| c.schema.as_ref())
            .and_then(resolve)
        else {
            continue;
        };
        let list = match body {
            Schema::Array(a) => columns_of(&a.items).map(|columns| List {
                columns,
                paged: false,
            }),
            Schema::Object(o) => match o.properties.get("items").and_then(resolve) {
                Some(Schema::Array(a)) if o.properties.contains_key("next_after") => {
                    columns_of(&a.items).map(|columns| List {
                        columns,
                        paged: true,
                    })
                }
                _ => None,
            },
            _ => None,
        };
        if let Some(list) = list {
            found.insert(path.clone(), list);
        }
    }
    found
}

/// Middleware on every route: a GET asking for CSV is answered by
/// [`export`]; `?format=json` is the JSON answer as without it; any other
/// `format` is refused (422); everything else passes through.
pub async fn answer_csv(State(exports): State<Exports>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let format = match Format::asked(&req) {
        Ok(format) => format,
        Err(refused) => return refused.into_response(),
    };
    if format == Format::Json {
        return next.run(without_format(req)).await;
    }
    let path = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let Some(list) = exports.lists.get(&path).cloned() else {
        return AppError::NotAcceptable(format!(
            "{path} is not a list; CSV is given by list endpoints only"
        ))
        .into_response();
    };
    let (parts, _) = req.into_parts();
    match export(exports.db, list, parts, next).await {
        Ok(response) | Err(response) => response,
    }
}

/// The format of an answer a GET asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Csv,
}

impl Format {
    /// `?format=csv|json` decides; without it, an `Accept` whose first
    /// choice is `text/csv` asks for CSV.
    fn asked(req: &Request) -> Result<Format, AppError> {
        let by_query = req.uri().query().and_then(|q| {
            form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "format")
                .map(|(_, v)| v.into_owned())
        });
        match by_query.as_deref() {
            Some("csv") => return Ok(Format::Csv),
            Some("json") => return Ok(Format::Json),
            Some(other) => {
                return Err(AppError::BadParameter {
                    what: "format",
                    detail: format!("`{other}` is not a format; give `csv` or `json`"),
                });
            }
            None => {}
        }
        let csv_first = req
            .headers()
            .get(ACCEPT)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|first| first.trim().starts_with(TEXT_CSV));
        Ok(if csv_first { Format::Csv } else { Format::Json })
    }
}

/// The request without its `format` parameter, which the lists' own
/// query types do not know.
fn without_format(mut req: Request) -> Request {
    let query: Vec<(String, String)> =
        form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
            .filter(|(k, _)| k != "format")
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    let rebuilt = with_query(req.uri().path(), &query);
    if let Ok(uri) = rebuilt.parse() {
        *req.uri_mut() = uri;
    }
    req
}

/// `path?query` with the pairs encoded, or the bare path for none.
fn with_query(path: &str, pairs: &[(String, String)]) -> String {
    if pairs.is_empty() {
        return path.to_owned();
    }
    let mut query = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        query.append_pair(k, v);
    }
    format!("{path}?{}", query.finish())
}

/// The first page is fetched before answering, so a refusal (401, 403,
/// 422) is answered as problem+json; the rest stream behind it.
async fn export(
    db: DatabaseConnection,
    list: List,
    parts: Parts,
    next: Next,
) -> Result<Response, Response> {
    let pager = Pager::new(parts, list.paged, next);
    let (rows, next_after) = pager.fetch(&db, None).await?;
    let mut first = Vec::new();
    let columns = columns(&list, &rows);
    write_rows(&mut first, &columns, true, &rows);
    let rest = futures_util::stream::unfold(
        (pager, db, columns, next_after),
        |(pager, db, columns, after)| async move {
            let after = after?;
            match pager.fetch(&db, Some(after)).await {
                Ok((rows, next_after)) => {
                    let mut chunk = Vec::new();
                    write_rows(&mut chunk, &columns, false, &rows);
                    let chunk = Ok::<_, std::io::Error>(Bytes::from(chunk));
                    Some((chunk, (pager, db, columns, next_after)))
                }
                Err(refused) => {
                    let failure = std::io::Error::other(format!(
                        "a later page of the export failed with {}",
                        refused.status()
                    ));
                    Some((Err(failure), (pager, db, columns, None)))
                }
            }
        },
    );
    let first = futures_util::stream::once(async move { Ok(Bytes::from(first)) });
    let body = Body::from_stream(futures_util::StreamExt::chain(first, rest));
    let mut response = Response::new(body);
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    headers.insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
    Ok(response)
}

/// The columns of the export: the schema's, then any field the rows carry
/// that the schema does not name.
fn columns(list: &List, rows: &[Value]) -> Vec<String> {
    let mut columns = list.columns.clone();
    if let Some(Value::Object(first)) = rows.first() {
        for key in first.keys() {
            if !columns.contains(key) {
                columns.push(key.clone());
            }
        }
    }
    columns
}

/// Rows as CSV records of `columns`, after the header row when asked for.
fn write_rows(out: &mut Vec<u8>, columns: &[String], with_header: bool, rows: &[Value]) {
    let mut writer = csv::Writer::from_writer(out);
    // Writing to memory cannot fail.
    if with_header {
        let _ = writer.write_record(columns);
    }
    let empty = Map::new();
    for row in rows {
        let fields = row.as_object().unwrap_or(&empty);
        let _ = writer.write_record(columns.iter().map(|name| cell(fields.get(name))));
    }
    let _ = writer.flush();
}

/// A JSON value as a cell: text as it is, numbers and booleans as JSON
/// writes them, null as nothing, objects and arrays as their JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Calls the list handler page after page with the caller's own request.
struct Pager {
    parts: Parts,
    /// The caller's query without `format`, and without `after`/`limit`
    /// when the list pages.
    query: Vec<(String, String)>,
    paged: bool,
    next: Next,
}

impl Pager {
    fn new(parts: Parts, paged: bool, next: Next) -> Pager {
        let query = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .filter(|(k, _)| k != "format" && !(paged && (k == "after" || k == "limit")))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        Pager {
            parts,
            query,
            paged,
            next,
        }
    }

    /// One page of rows (with natural keys) and where the next starts; a
    /// refusal is the handler's own answer.
    async fn fetch(
        &self,
        db: &DatabaseConnection,
        after: Option<i64>,
    ) -> Result<(Vec<Value>, Option<i64>), Response> {
        let request = self.request(after).map_err(IntoResponse::into_response)?;
        let answer = self.next.clone().run(request).await;
        if !answer.status().is_success() {
            return Err(answer);
        }
        let bytes = axum::body::to_bytes(answer.into_body(), usize::MAX)
            .await
            .map_err(|e| AppError::Internal(format!("reading a page: {e}")).into_response())?;
        let mut page: Value = serde_json::from_slice(&bytes)
            .map_err(|e| AppError::Internal(format!("a page is not JSON: {e}")).into_response())?;
        natural_keys::name_ids(db, &mut page)
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(match page {
            Value::Array(rows) => (rows, None),
            Value::Object(mut page) => {
                let next_after = page.get("next_after").and_then(Value::as_i64);
                match page.remove("items") {
                    Some(Value::Array(rows)) => (rows, next_after.filter(|_| self.paged)),
                    _ => (Vec::new(), None),
                }
            }
            _ => (Vec::new(), None),
        })
    }

    fn request(&self, after: Option<i64>) -> Result<Request, AppError> {
        let mut query = self.query.clone();
        if self.paged {
            query.push(("limit".to_owned(), PAGE_SIZE.to_string()));
            if let Some(after) = after {
                query.push(("after".to_owned(), after.to_string()));
            }
        }
        let uri: Uri = with_query(self.parts.uri.path(), &query)
            .parse()
            .map_err(|e| AppError::Internal(format!("a page's address: {e}")))?;
        let mut req = Request::new(Body::empty());
        *req.method_mut() = Method::GET;
        *req.uri_mut() = uri;
        *req.headers_mut() = self.parts.headers.clone();
        req.headers_mut()
            .insert(ACCEPT, HeaderValue::from_static("application/json"));
        req.headers_mut().remove(CONTENT_LENGTH);
        *req.extensions_mut() = self.parts.extensions.clone();
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn cells_are_written_as_json_writes_them() {
        let mut out = Vec::new();
        let columns =
            ["id", "part_number", "unit_cost", "note", "tags", "active"].map(String::from);
        let rows = [
            json!({"id": 7, "part_number": "FAN-1", "unit_cost": "12.50", "note": "a, \"b\"\nc",
                "tags": ["x"], "active": true}),
            json!({"id": 8, "part_number": "FAN-2", "unit_cost": null, "active": false}),
        ];
        write_rows(&mut out, &columns, true, &rows);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "id,part_number,unit_cost,note,tags,active\n\
             7,FAN-1,12.50,\"a, \"\"b\"\"\nc\",\"[\"\"x\"\"]\",true\n\
             8,FAN-2,,,,false\n"
        );
    }

    #[test]
    fn a_header_is_written_for_no_rows() {
        let mut out = Vec::new();
        write_rows(&mut out, &["id".to_owned(), "code".to_owned()], true, &[]);
        assert_eq!(String::from_utf8(out).unwrap(), "id,code\n");
    }
}
