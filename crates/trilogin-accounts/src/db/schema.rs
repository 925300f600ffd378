// @generated automatically by Diesel CLI.

diesel::table! {
    oauth1_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        provider_user_id -> Text,
        screen_name -> Nullable<Text>,
        oauth_token -> Text,
        oauth_token_secret -> Text,
        needs_reconnect -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    oauth2_tokens (id) {
        id -> Integer,
        user_id -> Integer,
        name -> Text,
        provider_user_id -> Text,
        token_type -> Text,
        access_token -> Text,
        refresh_token -> Nullable<Text>,
        expires_at -> Nullable<Timestamp>,
        scope -> Nullable<Text>,
        id_token -> Nullable<Text>,
        needs_reconnect -> Bool,
        refreshed_at -> Nullable<Timestamp>,
        refresh_lease_until -> Nullable<Timestamp>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        account_label -> Nullable<Text>,
        refresh_lease_holder -> Nullable<Text>,
        dpop_key -> Nullable<Text>,
    }
}

diesel::table! {
    pending_logins (id) {
        id -> Integer,
        client -> Text,
        handle -> Text,
        binding -> Text,
        value -> Text,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    sessions (id) {
        id -> Text,
        state -> Text,
        expires_at -> Timestamp,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        ttl_seconds -> Integer,
        user_id -> Nullable<Integer>,
    }
}

diesel::table! {
    users (id) {
        id -> Integer,
        display_name -> Text,
        email -> Nullable<Text>,
        avatar_url -> Nullable<Text>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::joinable!(oauth1_tokens -> users (user_id));
diesel::joinable!(oauth2_tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    oauth1_tokens,
    oauth2_tokens,
    pending_logins,
    sessions,
    users,
);
