//! Browser glue: moves data between the browser and `core`, decides nothing.

pub mod crosstab;
pub mod env;
pub mod error;
pub mod events;
pub mod lifecycle;
pub mod manager;
pub mod net;
