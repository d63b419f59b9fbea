//! Tests of the simulator against the documented API behaviour, over real HTTP, one module
//! per concern.

mod admin;
mod auth;
mod binary;
mod faults;
mod knobs;
mod lists;
mod perf;
mod strict;
mod support;
mod writes;
