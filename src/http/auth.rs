//! Authentication at the edge: the [`Caller`] extractor every handler
//! takes (a bearer token looked up by [`crate::flows::users::authenticate`]),
//! and [`Authorized`], which refuses a role an endpoint does not admit
//! before the body is read.
use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use entities::vocabulary::Role;

use crate::flows::users::authenticate;
use crate::http::AppState;
use crate::store::error::{AppError, AppResult};

pub use crate::flows::users::Caller;

/// Role sets used by the routers, named after what they protect: as
/// constants for checks in code, and as marker types for [`Authorized`].
pub mod roles {
    use super::Role::{self, *};
    pub const ANY: &[Role] = &[Admin, Planner, Warehouse, Engineer];
    pub const ADMIN: &[Role] = &[Admin];
    pub const PLANNING: &[Role] = &[Admin, Planner];
    /// Posting stock documents: warehouse staff (and admins, to fix things).
    pub const STOCK: &[Role] = &[Admin, Warehouse];
    /// Raising and cancelling replacement requests: engineers (and admins).
    pub const REQUESTERS: &[Role] = &[Admin, Engineer];
    /// Acting on a replacement request: its engineer, or warehouse staff
    /// and admins, who see all requests.
    pub const FIELD_OR_STOCK: &[Role] = &[Admin, Warehouse, Engineer];
    /// Reading demand and KPIs: everyone but engineers.
    pub const OFFICE: &[Role] = &[Admin, Planner, Warehouse];

    /// A set of roles an endpoint admits.
    pub trait RoleSet {
        const ROLES: &'static [Role];
    }

    macro_rules! role_set {
        ($($(#[$m:meta])* $name:ident = $roles:ident;)+) => {
            $($(#[$m])* pub struct $name; impl RoleSet for $name { const ROLES: &'static [Role] = $roles; })+
        };
    }

    role_set! {
        /// Every authenticated user.
        Any = ANY;
        /// Administrators only.
        Administrators = ADMIN;
        /// Planners and administrators.
        Planning = PLANNING;
        /// Warehouse staff and administrators.
        Stock = STOCK;
        /// Engineers and administrators.
        Requesters = REQUESTERS;
        /// Engineers, warehouse staff and administrators.
        FieldOrStock = FIELD_OR_STOCK;
        /// Planners, warehouse staff and administrators.
        Office = OFFICE;
    }
}

/// An authenticated caller whose role is in `R`. Being a request-parts
/// extractor, it runs before the body is read: a caller without the role
/// gets 403 whatever the body, and a bad body never reaches the validator.
pub struct Authorized<R>(pub Caller, std::marker::PhantomData<R>);

impl<R> std::ops::Deref for Authorized<R> {
    type Target = Caller;
    fn deref(&self) -> &Caller {
        &self.0
    }
}

impl<R: roles::RoleSet> FromRequestParts<AppState> for Authorized<R> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.require(R::ROLES)?;
        Ok(Authorized(caller, std::marker::PhantomData))
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = AppError;

    /// A caller the process set on the request itself (the command line's
    /// export, which calls the API in-process as its service user) is taken
    /// as it is: only code inside this binary can set extensions, never a
    /// client over the network.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> AppResult<Self> {
        if let Some(caller) = parts.extensions.get::<Caller>() {
            return Ok(caller.clone());
        }
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .ok_or(AppError::Unauthorized)?;
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(AppError::Unauthorized)?;
        authenticate(&state.db, token)
            .await?
            .ok_or(AppError::Unauthorized)
    }
}
