//! Queries on `users`.

use diesel::prelude::*;

use super::Conn;
use super::models::{NewUser, User};
use super::schema::users;
use crate::UserId;

/// Inserts a user and returns the stored row.
pub fn insert_user(conn: &mut Conn, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .returning(users::all_columns)
        .get_result(conn)
}

/// The user with primary key `id`.
pub fn find_user(conn: &mut Conn, id: UserId) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .get_result(conn)
        .optional()
}

/// Replaces the profile fields of user `id` (after a login refreshed them).
pub fn update_profile(conn: &mut Conn, id: UserId, profile: &NewUser<'_>) -> QueryResult<bool> {
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
pub fn delete_user(conn: &mut Conn, id: UserId) -> QueryResult<bool> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(|n| n == 1)
}
