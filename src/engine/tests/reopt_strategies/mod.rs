//! proptest strategies for small, valid list bodies: `bod_reopt` ([`reopt`]) and
//! `bod_congest_reopt` ([`congest`]) over one kind of network ([`NetSpec`]): 5–9 SR nodes,
//! directed links in both directions with parallels and equal igp costs, physical bandwidths,
//! two QoS classes (`Gold`, `Silver`, each missing from some links), flex-algo 128 prefix SIDs on
//! most nodes.
//!
//! The shapes aim at the interesting cases rather than at variety for its own sake: `bod_reopt`
//! policies share a few endpoints and ask for bandwidths close to the class capacities, so that
//! earlier placements push later ones onto other paths or leave them unplaced; congestion
//! policies are walks through one or two "hot" links whose traffic is set just above the
//! congestion threshold, over links whose background traffic is sometimes close to it too.
//!
//! As in [`strategies`](super::strategies), a spec is plain numbers that shrink towards the
//! simplest case, indices wrap (`% n`), and its `body()` is always a valid body.

mod congest;
mod reopt;

pub use congest::congest_spec;
pub use reopt::reopt_spec;

use proptest::collection::vec;
use proptest::option::weighted as maybe;
use proptest::prelude::*;
use serde_json::{json, Value};

/// Node ids; their byte order differs from their input order on purpose.
const NAMES: [&str; 9] = ["P3", "A", "P10", "b", "P1", "Z", "C", "P7", "Q"];
/// The QoS classes.
pub const CLASSES: [&str; 2] = ["Gold", "Silver"];
/// Physical link bandwidths (-1: unknown).
const PHYSICAL: [f64; 5] = [100.0, 50.0, 40.0, 60.0, -1.0];
/// Class `bandwidth_reserve` values (`bod_reopt` capacities).
const RESERVE: [f64; 5] = [20.0, 30.0, 40.0, 10.0, 0.0];
/// Class `bandwidth_available` values (congestion relief).
const AVAILABLE: [f64; 5] = [20.0, 40.0, 5.0, 10.0, 0.0];
/// Background traffic of a link, as a fraction of its physical bandwidth.
const BACKGROUND: [f64; 5] = [0.2, 0.5, 0.1, 0.75, 0.0];
/// `flow_factor` values. Above 1 a reservation exceeds the bandwidth it was checked against, and
/// class bandwidths go below 0.
const FLOW: [f64; 4] = [1.0, 0.5, 1.5, 2.0];
/// The flex-algo number some policies use.
pub const FLEX: u64 = 128;

/// A link `a → b` (wrapping), its reverse when `reverse`. The first links span the nodes; a
/// later one with `parallel` duplicates the ends of a spanning link.
#[derive(Clone, Debug)]
pub struct LinkSpec {
    a: u8,
    b: u8,
    reverse: bool,
    parallel: bool,
    igp: u64,
    physical: usize,
    classes: [Option<(usize, usize)>; 2],
    background: usize,
}

/// The network shared by both kinds of body.
#[derive(Clone, Debug)]
pub struct NetSpec {
    /// Per node: whether it has a prefix SID of flex-algo [`FLEX`].
    flex: Vec<bool>,
    links: Vec<LinkSpec>,
}

/// An algorithm entry; `None` fields are left to the preset.
#[derive(Clone, Debug)]
pub struct EntrySpec {
    algo: u8,
    sorter: Option<usize>,
    top: Option<u64>,
    loose: Option<bool>,
}

/// Mostly one of the first three values (the roomy ones), sometimes one of the last two.
fn roomy() -> impl Strategy<Value = usize> {
    prop_oneof![4 => 0..3usize, 1 => 3..5usize]
}

fn class_entry() -> impl Strategy<Value = Option<(usize, usize)>> {
    maybe(0.95, (roomy(), roomy()))
}

fn link() -> impl Strategy<Value = LinkSpec> {
    let ends = (
        any::<u8>(),
        any::<u8>(),
        prop::bool::weighted(0.8),
        prop::bool::weighted(0.3),
    );
    let band = (
        // Mostly igp 1 (equal costs) and the first physical bandwidth.
        prop_oneof![2 => Just(1u64), 1 => 1..=2u64],
        prop_oneof![2 => Just(0usize), 1 => 1..PHYSICAL.len()],
        [class_entry(), class_entry()],
        0..BACKGROUND.len(),
    );
    (ends, band).prop_map(
        |((a, b, reverse, parallel), (igp, physical, classes, background))| LinkSpec {
            a,
            b,
            reverse,
            parallel,
            igp,
            physical,
            classes,
            background,
        },
    )
}

fn net() -> impl Strategy<Value = NetSpec> {
    (vec(prop::bool::weighted(0.85), 5..=9), vec(link(), 6..=16))
        .prop_map(|(flex, links)| NetSpec { flex, links })
}

fn entry() -> impl Strategy<Value = EntrySpec> {
    (
        0..2u8,
        maybe(0.3, 0..3usize),
        maybe(0.5, 1..=3u64),
        maybe(0.3, any::<bool>()),
    )
        .prop_map(|(algo, sorter, top, loose)| EntrySpec {
            algo,
            sorter,
            top,
            loose,
        })
}

/// A built link: ends (node positions), and its JSON without traffic.
struct BuiltLink {
    lo: usize,
    re: usize,
    json: Value,
}

impl NetSpec {
    fn node_count(&self) -> usize {
        self.flex.len()
    }

    fn nodes(&self) -> Vec<Value> {
        (0..self.node_count())
            .map(|i| {
                let mut node =
                    json!({"id": NAMES[i], "ip": format!("10.0.0.{i}"), "sid": 16000 + i});
                if self.flex[i] {
                    node["prefix"] = json!([{"prefix": format!("10.1.0.{i}"),
                                             "prefix_algorithm": FLEX, "prefix_sid": 17000 + i}]);
                }
                node
            })
            .collect()
    }

    /// The directed links: spec `k` gives `lo → re` and, when reversed (always for the spanning
    /// ones), `re → lo`.
    fn links(&self) -> Vec<BuiltLink> {
        let n = self.node_count();
        let mut ends: Vec<(usize, usize)> = Vec::new();
        let mut built = Vec::new();
        for (k, l) in self.links.iter().enumerate() {
            let (lo, re) = if k + 1 < n {
                (k + 1, l.a as usize % (k + 1))
            } else if l.parallel {
                ends[l.a as usize % (n - 1)]
            } else {
                let lo = l.a as usize % n;
                (lo, (lo + 1 + l.b as usize % (n - 1)) % n)
            };
            ends.push((lo, re));
            built.push(self.link(k, lo, re, 0));
            if l.reverse || k + 1 < n {
                built.push(self.link(k, re, lo, 1));
            }
        }
        built
    }

    fn link(&self, k: usize, lo: usize, re: usize, side: usize) -> BuiltLink {
        let l = &self.links[k];
        let qos: Vec<Value> = CLASSES
            .iter()
            .zip(&l.classes)
            .filter_map(|(class, c)| {
                c.map(|(r, a)| {
                    json!({"class": class, "bandwidth_reserve": RESERVE[r],
                           "bandwidth_available": AVAILABLE[a]})
                })
            })
            .collect();
        let json = json!({
            "id": format!("{}-{}.{k}", NAMES[lo], NAMES[re]),
            "lo": NAMES[lo], "re": NAMES[re],
            "ip": format!("192.168.{k}.{}", side + 1),
            "sid": 24000 + 2 * k + side,
            "igp": l.igp, "te": 1 + (k as u64 + side as u64) % 3,
            "bd": PHYSICAL[l.physical],
            "qos_class": qos,
        });
        BuiltLink { lo, re, json }
    }
}

impl EntrySpec {
    fn json(&self) -> Value {
        let mut entry = json!({"algo": self.algo});
        if let Some(s) = self.sorter {
            entry["sorter"] = json!(["metric", "min_hop", "max_min_band"][s]);
        }
        if let Some(top) = self.top {
            entry["top"] = json!(top);
        }
        if let Some(l) = self.loose {
            entry["loose"] = json!(l);
        }
        entry
    }
}

/// The spec index of built link `l` (specs give one or two links each).
fn spec_of(net: &NetSpec, l: usize) -> usize {
    let n = net.node_count();
    let mut built = 0;
    for (k, s) in net.links.iter().enumerate() {
        built += if s.reverse || k + 1 < n { 2 } else { 1 };
        if l < built {
            return k;
        }
    }
    unreachable!("link {l} out of range")
}
