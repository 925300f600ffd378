//! Queries on `users`.

use diesel::prelude::*;

use super::models::{NewUser, User};
use super::schema::{oauth1_tokens, oauth2_tokens, users};

/// Inserts a user and returns the stored row.
pub fn insert_user(conn: &mut SqliteConnection, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(User::as_returning())
        .get_result(conn)
}

/// The user with primary key `id`.
pub fn find_user(conn: &mut SqliteConnection, id: i32) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Replaces the profile fields of user `id` (after a login refreshed them).
pub fn update_profile(
    conn: &mut SqliteConnection,
    id: i32,
    profile: &NewUser<'_>,
) -> QueryResult<bool> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(profile.display_name),
            users::email.eq(profile.email),
            users::avatar_url.eq(profile.avatar_url),
            users::updated_at.eq(super::now()),
        ))
        .execute(conn)
        .map(|n| n == 1)
}

/// Deletes user `id`; their connections go with them (`ON DELETE CASCADE`).
pub fn delete_user(conn: &mut SqliteConnection, id: i32) -> QueryResult<bool> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}

/// The user who owns the identity `provider_user_id` at provider `name`,
/// whichever protocol the provider speaks. This, never an e-mail
/// address, is how a returning person is recognised.
pub fn find_by_identity(
    conn: &mut SqliteConnection,
    name: &str,
    provider_user_id: &str,
) -> QueryResult<Option<User>> {
    let oauth2_owner = oauth2_tokens::table
        .filter(oauth2_tokens::name.eq(name))
        .filter(oauth2_tokens::provider_user_id.eq(provider_user_id))
        .select(oauth2_tokens::user_id);
    let oauth1_owner = oauth1_tokens::table
        .filter(oauth1_tokens::name.eq(name))
        .filter(oauth1_tokens::provider_user_id.eq(provider_user_id))
        .select(oauth1_tokens::user_id);
    users::table
        .filter(
            users::id
                .eq_any(oauth2_owner)
                .or(users::id.eq_any(oauth1_owner)),
        )
        .select(User::as_select())
        .first(conn)
        .optional()
}
