//! The demo's people: one user per role. The planner, the warehouse clerk
//! and the field engineer act in the demo's history; the administrator is
//! created last, so its presence says the demo was built to the end.
use chrono::{DateTime, Utc};
use entities::vocabulary::Role;
use sea_orm::ConnectionTrait;

use crate::flows::users::{self, NewToken};
use crate::store::error::AppResult;

/// The user whose presence marks a finished demo.
pub const ADMIN: &str = "demo-admin";

/// A demo user: who acts in the history, and the token to act as them.
#[derive(Debug, Clone)]
pub struct Member {
    pub id: i64,
    pub name: String,
    pub role: Role,
    pub token: String,
}

impl Member {
    /// The shell variable the README's examples read this member's token
    /// from (`ADMIN`, `PLANNER`, `CLERK`, `ENGINEER`).
    pub fn shell_variable(&self) -> &'static str {
        shell_variable(self.role)
    }
}

/// The shell variable the README's examples read a role's token from.
pub fn shell_variable(role: Role) -> &'static str {
    match role {
        Role::Admin => "ADMIN",
        Role::Planner => "PLANNER",
        Role::Warehouse => "CLERK",
        Role::Engineer => "ENGINEER",
    }
}

impl From<NewToken> for Member {
    fn from(t: NewToken) -> Member {
        Member {
            id: t.info.user_id,
            name: t.info.user_name,
            role: t.info.role,
            token: t.token,
        }
    }
}

/// The users who act in the demo's history.
#[derive(Debug, Clone)]
pub struct Cast {
    pub planner: Member,
    pub clerk: Member,
    pub engineer: Member,
}

/// Creates the planner, the clerk and the engineer, each with a token.
pub async fn hire(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<Cast> {
    Ok(Cast {
        planner: users::create_token(db, "demo-planner", Role::Planner, now)
            .await?
            .into(),
        clerk: users::create_token(db, "demo-clerk", Role::Warehouse, now)
            .await?
            .into(),
        engineer: users::create_token(db, "demo-engineer", Role::Engineer, now)
            .await?
            .into(),
    })
}

/// Creates the administrator: the last step of building the demo.
pub async fn crown(db: &impl ConnectionTrait, now: DateTime<Utc>) -> AppResult<Member> {
    Ok(users::create_token(db, ADMIN, Role::Admin, now)
        .await?
        .into())
}
