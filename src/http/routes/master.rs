//! The six operations every master-data resource has, written once:
//! create and list on the collection, get and patch one, deactivate and
//! activate.
//!
//! utoipa documents one operation per function, so
//! [`master_data_routes!`] writes a concrete handler per operation (its name
//! is the operation id, its doc comment the summary); each body is one call
//! into the generic path of [`crate::flows::master`]. What stays with the
//! resource's router is what is its own: the paths, the tag, the role that
//! writes, and the words of each operation.
//!
//! ```ignore
//! master_data_routes! {
//!     mod part_routes: Part, PartFields, PartPatch, PartFilter;
//!     tag = "parts", writers = Planning;
//!     /// Create a part. Roles: admin, planner.
//!     create create_part at "/api/v1/parts";
//!     // ... list, get, update, deactivate, activate, in this order
//! }
//! ```
//! expands to a module `part_routes` whose `router()` serves them.

macro_rules! master_data_routes {
    (
        mod $module:ident: $View:ident, $Fields:ident, $Patch:ident, $Filter:ident;
        tag = $tag:tt, writers = $writers:ident;
        $(#[doc = $create_doc:tt])* create $create:ident at $create_path:tt;
        $(#[doc = $list_doc:tt])* list $list:ident at $list_path:tt;
        $(#[doc = $get_doc:tt])* get $get:ident at $get_path:tt;
        $(#[doc = $update_doc:tt])* update $update:ident at $update_path:tt;
        $(#[doc = $deactivate_doc:tt])* deactivate $deactivate:ident at $deactivate_path:tt;
        $(#[doc = $activate_doc:tt])* activate $activate:ident at $activate_path:tt;
    ) => {
        mod $module {
            use axum::extract::State;
            use axum::http::StatusCode;
            use utoipa_axum::{router::OpenApiRouter, routes};

            use super::{$Fields, $Filter, $Patch, $View};
            use crate::flows::master;
            use crate::http::AppState;
            use crate::http::auth::{Authorized, roles};
            use crate::http::docs::ApiErrors;
            use crate::http::extract::{Json, Path, Query};
            use crate::store::db;
            use crate::store::error::AppResult;
            use crate::store::paging::Page;

            pub fn router() -> OpenApiRouter<AppState> {
                OpenApiRouter::new()
                    .routes(routes!($create, $list))
                    .routes(routes!($get, $update))
                    .routes(routes!($deactivate))
                    .routes(routes!($activate))
            }

            $(#[doc = $create_doc])*
            #[utoipa::path(post, path = $create_path, tag = $tag, request_body = $Fields,
                responses((status = 201, body = $View), ApiErrors))]
            async fn $create(
                State(s): State<AppState>,
                _caller: Authorized<roles::$writers>,
                Json(body): Json<$Fields>,
            ) -> AppResult<(StatusCode, Json<$View>)> {
                let now = s.clock.now();
                let created = db::write(&s.db, |tx| {
                    Box::pin(master::create::<$View>(tx, body.clone(), now))
                })
                .await?;
                Ok((StatusCode::CREATED, Json(created)))
            }

            $(#[doc = $list_doc])*
            #[utoipa::path(get, path = $list_path, tag = $tag, params($Filter),
                responses((status = 200, body = Page<$View>), ApiErrors))]
            async fn $list(
                State(s): State<AppState>,
                _caller: Authorized<roles::Any>,
                Query(filter): Query<$Filter>,
            ) -> AppResult<Json<Page<$View>>> {
                Ok(Json(master::list::<$View>(&s.db, filter).await?))
            }

            $(#[doc = $get_doc])*
            #[utoipa::path(get, path = $get_path, tag = $tag, params(("id" = i64, Path)),
                responses((status = 200, body = $View), ApiErrors))]
            async fn $get(
                State(s): State<AppState>,
                _caller: Authorized<roles::Any>,
                Path(id): Path<i64>,
            ) -> AppResult<Json<$View>> {
                Ok(Json(master::get::<$View>(&s.db, id).await?))
            }

            $(#[doc = $update_doc])*
            #[utoipa::path(patch, path = $update_path, tag = $tag, params(("id" = i64, Path)),
                request_body = $Patch, responses((status = 200, body = $View), ApiErrors))]
            async fn $update(
                State(s): State<AppState>,
                _caller: Authorized<roles::$writers>,
                Path(id): Path<i64>,
                Json(body): Json<$Patch>,
            ) -> AppResult<Json<$View>> {
                let now = s.clock.now();
                let updated = db::write(&s.db, |tx| {
                    Box::pin(master::update::<$View>(tx, id, body.clone(), now))
                })
                .await?;
                Ok(Json(updated))
            }

            $(#[doc = $deactivate_doc])*
            #[utoipa::path(post, path = $deactivate_path, tag = $tag,
                params(("id" = i64, Path)), responses((status = 200, body = $View), ApiErrors))]
            async fn $deactivate(
                State(s): State<AppState>,
                _caller: Authorized<roles::$writers>,
                Path(id): Path<i64>,
            ) -> AppResult<Json<$View>> {
                set_active(&s, id, false).await
            }

            $(#[doc = $activate_doc])*
            #[utoipa::path(post, path = $activate_path, tag = $tag,
                params(("id" = i64, Path)), responses((status = 200, body = $View), ApiErrors))]
            async fn $activate(
                State(s): State<AppState>,
                _caller: Authorized<roles::$writers>,
                Path(id): Path<i64>,
            ) -> AppResult<Json<$View>> {
                set_active(&s, id, true).await
            }

            async fn set_active(s: &AppState, id: i64, active: bool) -> AppResult<Json<$View>> {
                let now = s.clock.now();
                let changed = db::write(&s.db, |tx| {
                    Box::pin(master::set_active::<$View>(tx, id, active, now))
                })
                .await?;
                Ok(Json(changed))
            }
        }
    };
}

pub(crate) use master_data_routes;
