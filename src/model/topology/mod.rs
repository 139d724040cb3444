//! Held topologies (contract §8): a network kept by the service under a name, changed by change
//! documents, and named by job bodies instead of carrying `nodes` and `links`.
//!
//! This module owns their meaning: the name rule, the document `{nodes, links}` (validated by
//! the rules of a body's topology, nodes may carry a drawing position `pos`), the wire form a
//! revision is stored and served in ([`wire`]), the change documents and their atomic
//! application ([`change`]), and a body's reference `{"topology": {name, revision?}}`. It does
//! no I/O: the service stores revisions, the workers keep them parsed.

pub mod change;
mod ids;
pub mod wire;

use std::sync::{Arc, OnceLock};

use serde::Serialize;

use super::json::Json;
use super::parse;
use super::{Limits, Link, Node, Problems};
pub use ids::Ids;

/// A topology's name: `[A-Za-z0-9_-]{1,64}` (one NATS subject token, one URL segment).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > 64 {
        return Err(format!(
            "a topology name has 1 to 64 characters, not {}",
            name.len()
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '-'))
    {
        return Err(format!(
            "a topology name has only letters, digits, '_' and '-', not {bad:?}"
        ));
    }
    Ok(())
}

/// Where a node is drawn (never used by a computation).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Pos {
    /// Plane coordinates.
    Xy {
        /// Horizontal.
        x: f64,
        /// Vertical.
        y: f64,
    },
    /// Geographic coordinates, in degrees.
    LatLon {
        /// Latitude, −90 ..= 90.
        lat: f64,
        /// Longitude, −180 ..= 180.
        lon: f64,
    },
}

/// A validated topology: what a held revision is, and what a job by reference computes on.
///
/// The lists are shared (`Arc`): a job's request and the revision it names hold the same nodes
/// and links, so a worker attaches a cached revision to a job without copying it.
#[derive(Debug, Clone, Default)]
pub struct Network {
    /// Every node, in document order.
    pub nodes: Arc<Vec<Node>>,
    /// Every link, in document order.
    pub links: Arc<Vec<Link>>,
    /// The drawing position of each node, by index (`None`: placed by the layout).
    pub pos: Arc<Vec<Option<Pos>>>,
    /// The ids of `nodes` and `links`, indexed on first use (shared by clones).
    ids: Arc<IdsCell>,
}

/// [`Ids`] once built, with the lists they index (compared by address: a network whose lists
/// were replaced after its ids were built gets new ones).
#[derive(Debug, Default)]
struct IdsCell(OnceLock<(usize, usize, Arc<Ids>)>);

impl PartialEq for Network {
    fn eq(&self, other: &Network) -> bool {
        self.nodes == other.nodes && self.links == other.links && self.pos == other.pos
    }
}

impl Network {
    /// A network of these lists (`pos` by node index).
    pub fn new(
        nodes: Arc<Vec<Node>>,
        links: Arc<Vec<Link>>,
        pos: Arc<Vec<Option<Pos>>>,
    ) -> Network {
        Network {
            nodes,
            links,
            pos,
            ids: Arc::default(),
        }
    }

    /// A network of these lists whose ids are already indexed: `ids` must be those of a
    /// network with the same node list and the same link ids in the same order (one whose
    /// change wrote links but no id, SID or position of any element).
    pub(crate) fn with_ids(
        nodes: Arc<Vec<Node>>,
        links: Arc<Vec<Link>>,
        pos: Arc<Vec<Option<Pos>>>,
        ids: Arc<Ids>,
    ) -> Network {
        let lists = (Arc::as_ptr(&nodes) as usize, Arc::as_ptr(&links) as usize);
        let cell = IdsCell::default();
        let _ = cell.0.set((lists.0, lists.1, ids));
        Network {
            nodes,
            links,
            pos,
            ids: Arc::new(cell),
        }
    }

    /// The ids and SIDs of the network, indexed (built on first use, then kept).
    pub fn ids(&self) -> Arc<Ids> {
        let lists = (
            Arc::as_ptr(&self.nodes) as usize,
            Arc::as_ptr(&self.links) as usize,
        );
        let (nodes, links, ids) = self
            .ids
            .0
            .get_or_init(|| (lists.0, lists.1, Arc::new(Ids::of(self))));
        if (*nodes, *links) == lists {
            ids.clone()
        } else {
            Arc::new(Ids::of(self))
        }
    }

    /// Parses and validates a topology document `{nodes, links}` read by
    /// [`read_json`]: the network, or every problem.
    pub fn parse(doc: &Json<'_>, limits: &Limits) -> Result<Network, Problems> {
        parse::network(doc, limits)
    }

    /// Parses a topology document from its bytes: a valid one element by element, without
    /// the JSON tree of the whole; one with problems (or that may have some) by [`read_json`]
    /// and [`Network::parse`], which name them.
    pub fn from_slice(bytes: &[u8], limits: &Limits) -> Result<Network, Problems> {
        if let Some(network) = parse::streamed_network(bytes, limits) {
            return Ok(network);
        }
        Network::parse(&read_json(bytes, limits)?, limits)
    }

    /// Approximate bytes held (for cache budgets): the wire size is a fair proxy.
    pub fn approx_bytes(&self) -> usize {
        let links: usize = self
            .links
            .iter()
            .map(|l| 160 + l.id.len() * 3 + l.srlg.len() * 8 + l.qos_class.len() * 64)
            .sum();
        let nodes: usize = self
            .nodes
            .iter()
            .map(|n| 96 + n.id.len() + n.prefix.len() * 48)
            .sum();
        links + nodes
    }
}

/// Reads a topology document as JSON by its shape (members no topology has are skipped).
pub fn read_json<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Json<'a>, Problems> {
    super::body::read_shaped(bytes, &parse::TOPOLOGY_SHAPE, limits)
}

/// A body's reference to a held topology: `{"name": …, "revision"?: r}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reference {
    /// The topology's name.
    pub name: String,
    /// The revision; `None`: the head at submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<u64>,
}

/// The revision a task computes on: what its record and status document carry.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
pub struct Pinned {
    /// The topology's name.
    pub name: String,
    /// Its revision.
    pub revision: u64,
}

/// The reference a body makes, if any: `Ok(None)` when it has no `topology` member, problems
/// at `topology` when the member is malformed or comes with `nodes` or `links`.
pub fn reference(body: &Json<'_>) -> Result<Option<Reference>, Problems> {
    parse::reference(body)
}
