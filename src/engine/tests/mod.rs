//! Engine tests: the documented examples (`fixtures`), and property tests (`props`) comparing the
//! engine with a brute-force reference (`reference`) on small random bodies (`strategies`).
//! Results are compared field by field by `compare`.

mod compare;
mod fixtures;
mod props;
mod reference;
mod strategies;
