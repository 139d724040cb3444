//! Engine tests: the documented examples (`fixtures`), and property tests (`props`) comparing the
//! engine with a brute-force reference (`reference`) on small random bodies (`strategies`).
//! Results are compared field by field by `compare`; `compact` checks the form requests take
//! in job messages.
//!
//! The list job types have their own: `reopt_props` compares `bod_reopt` and
//! `bod_congest_reopt` with independent oracles (`reopt_reference`) on random instances
//! (`reopt_strategies`) and checks that traffic and reservations are conserved (`conservation`);
//! `bugs` has one test per computation bug of the service pasta replaces (its §7, items 16–28),
//! and `found` the engine bugs the property tests found, minimised. `serialise` checks that every
//! writer gives a result the same JSON text (the compact one takes a faster way).

mod bugs;
mod compact;
mod compare;
mod conservation;
mod fixtures;
mod found;
mod held;
mod props;
mod reference;
mod reopt_props;
mod reopt_reference;
mod reopt_strategies;
mod schema;
mod serialise;
mod strategies;
