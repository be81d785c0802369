//! Part numbers and codes beside ids in every answer of the API, and in
//! the OpenAPI document that describes them, by the one rule of
//! [`crate::store::natural_keys`]. Requests take them instead of ids in
//! [`crate::http::extract`].
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use utoipa::openapi::schema::{ArrayItems, Object, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};

use crate::store::error::AppError;
use crate::store::natural_keys::{self, Master};

/// Middleware: a JSON answer gains the natural key beside every id that names a part, warehouse,
/// site, vendor or SLA class. Other answers (problem+json, CSV, the
/// metrics) pass as they are; so does an answer whose keys cannot be looked up (the
/// database gone mid-request), rather than turning it into another error.
pub async fn name_ids(State(db): State<DatabaseConnection>, req: Request, next: Next) -> Response {
    let response = next.run(req).await;
    if !is_json(&response) {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match axum::body::to_bytes(body, usize::MAX).await {
        Ok(bytes) => bytes,
        Err(e) => return AppError::Internal(format!("reading an answer: {e}")).into_response(),
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    if let Err(e) = natural_keys::name_ids(&db, &mut value).await {
        tracing::warn!(error = %e, "cannot look up the natural keys of an answer");
        return Response::from_parts(parts, Body::from(bytes));
    }
    let named = match serde_json::to_vec(&value) {
        Ok(named) => named,
        Err(e) => return AppError::Internal(format!("writing an answer: {e}")).into_response(),
    };
    parts.headers.remove(CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(named))
}

fn is_json(response: &Response) -> bool {
    response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"))
}

/// Describes the natural keys in the OpenAPI document: every schema with
/// an id property that names master data gains the natural-key property
/// beside it, so the document tells what the answers carry and what a
/// request may give instead of the id.
pub fn describe(openapi: &mut OpenApi) {
    if let Some(components) = openapi.components.as_mut() {
        components.schemas.values_mut().for_each(visit);
    }
    // Generic answers (a page of rows) are described inline, at the path.
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            for response in operation.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    for content in response.content.values_mut() {
                        content.schema.iter_mut().for_each(visit);
                    }
                }
            }
            if let Some(body) = operation.request_body.as_mut() {
                for content in body.content.values_mut() {
                    content.schema.iter_mut().for_each(visit);
                }
            }
        }
    }
}

/// Adds the natural properties to an inline schema and every schema
/// inside it (references are described where they are defined).
fn visit(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            add_natural_properties(object);
            object.properties.values_mut().for_each(visit);
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                visit(items);
            }
        }
        Schema::AllOf(all) => all.items.iter_mut().for_each(visit),
        Schema::OneOf(one) => one.items.iter_mut().for_each(visit),
        Schema::AnyOf(any) => any.items.iter_mut().for_each(visit),
        _ => {}
    }
}

fn add_natural_properties(object: &mut Object) {
    let properties = std::mem::take(&mut object.properties);
    let present: Vec<String> = properties.keys().cloned().collect();
    for (field, property) in properties {
        let natural = natural_keys::natural_key_for(&field)
            .filter(|(natural_field, _)| !present.contains(natural_field));
        object.properties.insert(field.clone(), property);
        if let Some((natural_field, master)) = natural {
            object
                .properties
                .insert(natural_field, natural_property(&field, master).into());
        }
    }
}

fn natural_property(id_field: &str, master: Master) -> Schema {
    let description = format!(
        "The {key} of the {noun} `{id_field}` names, beside it in answers. A request may give \
         it instead of `{id_field}` (not both).",
        key = master.key_column().replace('_', " "),
        noun = master.noun(),
    );
    Schema::Object(
        Object::builder()
            .schema_type(utoipa::openapi::schema::SchemaType::from_iter([
                Type::String,
                Type::Null,
            ]))
            .description(Some(description))
            .build(),
    )
}
