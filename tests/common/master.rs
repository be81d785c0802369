//! Checks that every master-data resource (parts, warehouses, sites,
//! vendors) shares.
use entities::vocabulary::Role;

use super::TestApp;

/// Deactivates `{collection}/{id}` as `off_by`; it stays readable (by
/// `reader`) and inactive, and `on_by` activates it again.
pub async fn deactivate_and_reactivate(
    app: &TestApp,
    collection: &str,
    id: i64,
    off_by: Role,
    reader: Role,
    on_by: Role,
) {
    let path = format!("{collection}/{id}");
    let off = app
        .post_empty(off_by, &format!("{path}/deactivate"))
        .await
        .expect(200);
    assert_eq!(off["active"], false);
    let still = app.get(reader, &path).await.expect(200);
    assert_eq!(
        still["active"], false,
        "deactivated {collection} stay readable"
    );
    let on = app
        .post_empty(on_by, &format!("{path}/activate"))
        .await
        .expect(200);
    assert_eq!(on["active"], true);
}
