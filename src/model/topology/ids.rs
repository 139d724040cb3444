//! The ids and SIDs of a network, indexed: what a change document looks elements up by, and
//! what [`super::change`] checks the elements it writes against instead of validating the whole
//! network again.

use std::collections::HashMap as StdHashMap;

/// The maps of the index (keys are a client's ids: a seeded hasher, faster than SipHash).
type HashMap<K, V> = StdHashMap<K, V, foldhash::fast::RandomState>;

use super::Network;

/// A network's elements by id and by SID (first owner of each; in a valid network, the only).
#[derive(Debug, Default)]
pub struct Ids {
    /// Node id → its index.
    pub(super) node: HashMap<String, usize>,
    /// Link id → its index.
    pub(super) link: HashMap<String, usize>,
    /// Node SID → the node.
    pub(super) sid: HashMap<u64, usize>,
    /// (Flex-algo, prefix SID) → the node.
    pub(super) prefix_sid: HashMap<(u32, u64), usize>,
}

impl Ids {
    /// The index of the node `id` (the first, in an invalid network).
    pub fn node(&self, id: &str) -> Option<usize> {
        self.node.get(id).copied()
    }

    /// The index of the link `id` (the first, in an invalid network).
    pub fn link(&self, id: &str) -> Option<usize> {
        self.link.get(id).copied()
    }

    /// Indexes `net` (time and memory linear in its size).
    pub fn of(net: &Network) -> Ids {
        let mut ids = Ids {
            node: HashMap::with_capacity_and_hasher(net.nodes.len(), Default::default()),
            link: HashMap::with_capacity_and_hasher(net.links.len(), Default::default()),
            sid: HashMap::with_capacity_and_hasher(net.nodes.len(), Default::default()),
            prefix_sid: HashMap::default(),
        };
        for (i, n) in net.nodes.iter().enumerate() {
            ids.node.entry(n.id.clone()).or_insert(i);
            if let Some(sid) = n.sid {
                ids.sid.entry(sid).or_insert(i);
            }
            for p in &n.prefix {
                if let Some(sid) = p.sid {
                    ids.prefix_sid.entry((p.algorithm, sid)).or_insert(i);
                }
            }
        }
        for (i, l) in net.links.iter().enumerate() {
            ids.link.entry(l.id.clone()).or_insert(i);
        }
        ids
    }
}
