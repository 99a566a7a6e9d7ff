//! The configuration in force, and why the last reload was rejected.
//!
//! One [`Running`] is shared by the daemon, which replaces the
//! configuration when a reload succeeds and records the errors when one
//! is rejected, and by the readers: the publisher renders with it, the
//! status page shows the rejection. A reader takes the lock only for the
//! time of its read.

use std::sync::{Arc, RwLock};

use super::Config;

/// The configuration in force and the last reload's rejection.
pub struct Running {
    config: RwLock<Arc<Config>>,
    error: RwLock<Option<String>>,
}

impl Running {
    /// `config` in force, no rejection.
    pub fn new(config: Arc<Config>) -> Running {
        Running { config: RwLock::new(config), error: RwLock::new(None) }
    }

    /// The configuration in force.
    pub fn get(&self) -> Arc<Config> {
        Arc::clone(&self.config.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Reads the configuration in force without keeping it.
    pub fn read<T>(&self, f: impl FnOnce(&Config) -> T) -> T {
        f(&self.config.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// Puts `config` in force and clears the rejection.
    pub fn set(&self, config: Arc<Config>) {
        *self.config.write().unwrap_or_else(|p| p.into_inner()) = config;
        *self.error.write().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Records why a reload was rejected (the running configuration stays).
    pub fn reject(&self, errors: String) {
        *self.error.write().unwrap_or_else(|p| p.into_inner()) = Some(errors);
    }

    /// Why the last reload was rejected, if it was.
    pub fn error(&self) -> Option<String> {
        self.error.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}
