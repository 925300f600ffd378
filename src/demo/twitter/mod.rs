//! Demo Twitter.

use std::sync::Arc;

use actix_web::web;

use super::DemoConfig;
use super::knobs::Knobs;

/// The demo Twitter provider's state.
#[derive(Debug, Default)]
pub struct DemoTwitter {
    knobs: Knobs,
}

impl DemoTwitter {
    /// Builds the provider.
    pub fn new(_config: &DemoConfig) -> anyhow::Result<Self> {
        Ok(Self::default())
    }

    /// Fault injection and call counts.
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// Mounts the provider's routes (under `/_demo/twitter`).
    pub fn configure(self: &Arc<Self>, _cfg: &mut web::ServiceConfig) {}
}
