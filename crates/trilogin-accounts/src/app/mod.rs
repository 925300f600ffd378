//! Use cases: what the site does for a person, between the web layer and
//! the client layer and storage. Handlers call one function here.

pub mod account;
pub mod claims;
pub mod connections;
pub mod delete_account;
pub mod login;
pub mod logout;
pub mod merge;
pub mod problem;
pub mod profile;
pub mod repos;
pub mod repos_cache;
pub mod resources;
pub mod services;
pub mod timeline;
