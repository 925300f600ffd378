//! Demo Google.

use std::sync::Arc;

use actix_web::web;

use super::DemoConfig;
use super::knobs::Knobs;

/// The demo Google provider's state.
#[derive(Debug, Default)]
pub struct DemoGoogle {
    knobs: Knobs,
}

impl DemoGoogle {
    /// Builds the provider.
    pub fn new(_config: &DemoConfig) -> anyhow::Result<Self> {
        Ok(Self::default())
    }

    /// Fault injection and call counts.
    pub fn knobs(&self) -> &Knobs {
        &self.knobs
    }

    /// Mounts the provider's routes (under `/_demo/google`).
    pub fn configure(self: &Arc<Self>, _cfg: &mut web::ServiceConfig) {}
}
