//! The Twitter timeline: `statuses/user_timeline.json`, newest first,
//! paged back with `max_id`.

use super::problem::ProviderProblem;
use super::resources;
use super::services::Services;
use crate::providers::twitter::{self, Tweet};
use crate::{Provider, UserId};

/// One page of the timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimelinePage {
    /// The tweets, newest first.
    pub tweets: Vec<Tweet>,
    /// The `max_id` of the next, older page, when there may be one.
    pub older: Option<u64>,
}

/// Loads user `user_id`'s timeline, older than `max_id` when paging back.
pub async fn load(
    services: &Services,
    user_id: UserId,
    max_id: Option<u64>,
) -> Result<TimelinePage, ProviderProblem> {
    let provider = Provider::Twitter;
    resources::check_connected(services, user_id, provider).await?;
    let request = twitter::timeline_request(max_id);
    let answer = resources::call(services, user_id, provider, &request).await?;
    if !answer.status.is_success() {
        return Err(resources::unexpected(services, user_id, provider, &answer).await);
    }
    match twitter::timeline(&answer.body) {
        Ok(tweets) => Ok(TimelinePage {
            older: twitter::older_max_id(&tweets),
            tweets,
        }),
        Err(e) => Err(resources::problem(services, user_id, provider, &e).await),
    }
}
