//! The one connection abstraction: standalone Redis and Redis Cluster behind one type.
//!
//! Two traps of the cluster client shape this module. A keyless command such as `SCAN` sent
//! through the cluster connection goes to one arbitrary node, so node-wide work is addressed to
//! each master explicitly (`Node`). And a cluster pipeline must stay within one slot, so
//! batches of arbitrary keys are split by slot (`per_key`). Both use the crate's own routing,
//! never a copy of CRC16 or of the topology.

use std::collections::HashMap;
use std::sync::Arc;

use futures::stream::{self, StreamExt, TryStreamExt};
use redis::aio::{ConnectionLike, MultiplexedConnection};
use redis::cluster_async::ClusterConnection;
use redis::cluster_routing::{
    MultipleNodeRoutingInfo, Route, RoutingInfo, SingleNodeRoutingInfo, SlotAddr,
};
use redis::{Cmd, FromRedisValue, Pipeline, Value};
use tokio::sync::OnceCell;

use crate::conn::{ClusterMode, Dialer, Link, LinkConn, Target};
use crate::error::{Error, Result};
use crate::guard::{Permit, Policy};
use crate::keys::glob::Glob;
use crate::retry::Backoff;
use crate::stop::Stop;

/// How many single commands `routed_each` keeps in flight at once.
const ROUTED_CONCURRENCY: usize = 32;

/// How many slot-group pipelines a cluster batch keeps in flight at once.
const SLOT_GROUP_CONCURRENCY: usize = 64;

#[derive(Clone)]
pub struct Store {
    conn: Conn,
    addr: Arc<str>,
    delete_verb: Arc<OnceCell<&'static str>>,
    /// Which commands the server knows, as asked (`has_command`).
    known: Arc<std::sync::Mutex<HashMap<&'static str, bool>>>,
    /// How this store was opened (resolved once), to open another connection like it.
    dialer: Arc<Dialer>,
}

#[derive(Clone)]
enum Conn {
    Standalone(MultiplexedConnection),
    Cluster(ClusterConnection<crate::conn::Node>),
}

/// One master that node-wide commands (SCAN, DBSIZE, INFO) are sent to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Node {
    addr: String,
    route: NodeRoute,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum NodeRoute {
    /// The standalone server.
    Direct,
    /// A cluster master by address.
    Address { host: String, port: u16 },
    /// Whichever master owns the slot of this key (hash-tag pruning).
    SlotOf(Vec<u8>),
}

impl Node {
    pub fn addr(&self) -> &str {
        &self.addr
    }
}

// A target becomes a store here, where `Store` lives, so that `conn` never names one.
impl Target {
    /// Connect, detecting a cluster unless told.
    pub async fn connect(&self) -> Result<Store> {
        let dialer = Arc::new(self.dialer()?);
        if self.cluster == ClusterMode::Force {
            return Store::open(dialer, true).await;
        }
        let store = Store::open(dialer.clone(), false).await?;
        if store.reports_cluster_enabled().await? {
            return Store::open(dialer, true).await;
        }
        Ok(store)
    }
}

impl Store {
    /// A store over a link `dialer` opened; it keeps the dialer to open more like it.
    fn over(link: Link, dialer: Arc<Dialer>) -> Self {
        Store {
            conn: match link.conn {
                LinkConn::Standalone(c) => Conn::Standalone(c),
                LinkConn::Cluster(c) => Conn::Cluster(c),
            },
            addr: link.addr.into(),
            delete_verb: Arc::default(),
            known: Arc::default(),
            dialer,
        }
    }

    /// Open a connection with `dialer`: to a cluster, or to a standalone server.
    pub(crate) async fn open(dialer: Arc<Dialer>, cluster: bool) -> Result<Store> {
        let link = dialer.clone().open(cluster).await?;
        Ok(Store::over(link, dialer))
    }

    /// Whether the server says it is a primary (`ROLE`); true when it will not say.
    pub async fn is_primary(&self) -> bool {
        self.replica_of().await.is_none()
    }

    /// A section of `INFO` (routed anywhere in a cluster), when the server and the ACL allow it.
    pub async fn info(&self, section: &str) -> Option<Info> {
        self.query::<String>(redis::cmd("INFO").arg(section))
            .await
            .ok()
            .map(Info)
    }

    /// A section of `INFO` from `node`.
    pub async fn info_on(&self, node: &Node, section: &str) -> Option<Info> {
        let mut pipe = redis::pipe();
        pipe.cmd("INFO").arg(section);
        let reply = self.node_pipeline(node, &pipe).await.ok()?;
        self.value_on(node, reply.into_iter().next().unwrap_or(Value::Nil))
            .ok()
            .map(Info)
    }

    /// The primary of this server, when it is a replica (`ROLE`, else `INFO replication`);
    /// `None` for a primary, a cluster, or a server that will say neither.
    pub async fn replica_of(&self) -> Option<String> {
        if self.is_cluster() {
            return None;
        }
        if let Ok(Value::Array(v)) = self.query::<Value>(&redis::cmd("ROLE")).await {
            let text = |i: usize| {
                v.get(i)
                    .and_then(|x| redis::from_redis_value_ref::<String>(x).ok())
            };
            return match text(0).as_deref() {
                Some("slave") => Some(format!("{}:{}", text(1)?, text(2)?)),
                _ => None,
            };
        }
        let info = self.info("replication").await?;
        match info.field("role") {
            Some("slave") => Some(format!(
                "{}:{}",
                info.field("master_host")?,
                info.field("master_port")?
            )),
            _ => None,
        }
    }

    /// Share what `other` has learnt about the server.
    pub(crate) fn sharing(mut self, other: &Store) -> Self {
        self.delete_verb = other.delete_verb.clone();
        self.known = other.known.clone();
        self
    }

    /// Whether the server knows `command` (`COMMAND INFO`), asked once per store: newer
    /// commands are used where they exist, never assumed. An ACL without COMMAND: no.
    pub async fn has_command(&self, command: &'static str) -> bool {
        let cached = self
            .known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(command)
            .copied();
        if let Some(known) = cached {
            return known;
        }
        let known = matches!(
            self.query::<Value>(redis::cmd("COMMAND").arg("INFO").arg(command)).await,
            Ok(Value::Array(items)) if items.iter().any(|v| *v != Value::Nil)
        );
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(command, known);
        known
    }

    /// A second connection to the same server or cluster, with its own socket: requests on it
    /// are not queued behind this one's.
    pub async fn another(&self) -> Result<Store> {
        Ok(Store::open(self.dialer.clone(), self.is_cluster())
            .await?
            .sharing(self))
    }

    /// A connection of its own to `node` alone, for node-wide work (a SCAN chain): the
    /// cluster client would send a whole pipeline elsewhere when one reply in it says MOVED,
    /// cursor and all. Standalone: another connection like this one.
    pub async fn direct(&self, node: &Node) -> Result<Store> {
        match (&self.conn, &node.route) {
            (Conn::Cluster(_), NodeRoute::Address { host, port }) => {
                let dialer = Arc::new(self.dialer.at(host, *port));
                Ok(Store::open(dialer, false).await?.sharing(self))
            }
            _ => Ok(self.clone()),
        }
    }

    /// A connection of its own to the server at `host:port` (a replica), with this store's
    /// credentials and TLS settings, and the node it is for node-wide commands.
    pub(crate) async fn open_at(&self, host: &str, port: u16) -> Result<(Store, Node)> {
        let dialer = Arc::new(self.dialer.at(host, port));
        let store = Store::open(dialer, false).await?.sharing(self);
        let node = Node {
            addr: format!("{host}:{port}"),
            route: NodeRoute::Direct,
        };
        Ok((store, node))
    }

    /// A raw connection (`conn::raw`) to `node`, or to the master holding `key` when no
    /// master is named; `None` when there is no TCP address to dial (a Unix socket, a master
    /// the slot map does not name).
    pub(crate) async fn raw(
        &self,
        node: Option<&Node>,
        key: &[u8],
    ) -> Result<Option<crate::conn::raw::Raw>> {
        if !self.is_cluster() {
            return self.dialer.raw_server().await;
        }
        let node = match node {
            Some(n) if matches!(n.route, NodeRoute::Address { .. }) => Some(n.clone()),
            _ => self.owner_of(key).await,
        };
        match node.map(|n| n.route) {
            Some(NodeRoute::Address { host, port }) => self.dialer.raw(&host, port).await,
            _ => Ok(None),
        }
    }

    /// A subscriber connection to `node` (keyspace notifications are each node's own).
    pub(crate) async fn pubsub(&self, node: &Node) -> Result<redis::aio::PubSub> {
        match &node.route {
            NodeRoute::Address { host, port } => self.dialer.at(host, *port).pubsub().await,
            _ => self.dialer.pubsub().await,
        }
    }

    /// The database number the store works in (0 in a cluster).
    pub fn db(&self) -> i64 {
        self.dialer.db()
    }

    /// The target's rules, which every write through this store meets.
    pub fn policy(&self) -> &Policy {
        self.dialer.policy()
    }

    /// The gate, for this store: `proposal` judged under the target's rules and for this
    /// store's database, so that no permit given here writes another.
    pub async fn authorise(
        &self,
        proposal: crate::guard::Proposal,
        guards: &crate::guard::Guards,
        confirm: &dyn crate::guard::Confirm,
        stop: &crate::stop::Stop,
    ) -> Result<Permit> {
        let proposal = proposal.in_db(self.db());
        crate::guard::authorise(self.policy(), proposal, guards, confirm, stop).await
    }

    /// The address the user gave (the seed node for a cluster).
    pub fn addr(&self) -> &str {
        &self.addr
    }

    pub fn is_cluster(&self) -> bool {
        matches!(self.conn, Conn::Cluster(_))
    }

    fn err(&self, e: redis::RedisError) -> Error {
        Error::redis(&self.addr, e)
    }

    /// One command that only reads, routed by its key in a cluster.
    pub async fn query<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        reads_only([cmd])?;
        self.send(cmd).await
    }

    /// A permit holds here only if it was judged under this target's own rules.
    /// And in the database it was given for.
    fn permitted(&self, permit: &Permit) -> Result<()> {
        permit.holds_under(self.policy(), "a write")?;
        permit.holds_in(self.db())
    }

    /// One command that changes the server, routed by its key, under a permit.
    pub async fn write<T: FromRedisValue>(&self, permit: &Permit, cmd: &Cmd) -> Result<T> {
        self.permitted(permit)?;
        self.send(cmd).await
    }

    async fn send<T: FromRedisValue>(&self, cmd: &Cmd) -> Result<T> {
        let value = match &self.conn {
            Conn::Standalone(c) => c.clone().req_packed_command(cmd).await,
            Conn::Cluster(c) => c.clone().req_packed_command(cmd).await,
        }
        .map_err(|e| self.err(e))?;
        self.decode(value)
    }

    /// A pipeline whose keys all share one slot (e.g. several questions about one key). Server
    /// errors come back in place as `Value::ServerError`.
    pub async fn query_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Value>> {
        reads_only(pipe.cmd_iter())?;
        self.send_pipeline(pipe).await
    }

    /// `query_pipeline` for a pipeline that changes the server, under a permit.
    pub async fn write_pipeline(&self, permit: &Permit, pipe: &Pipeline) -> Result<Vec<Value>> {
        self.permitted(permit)?;
        self.send_pipeline(pipe).await
    }

    async fn send_pipeline(&self, pipe: &Pipeline) -> Result<Vec<Value>> {
        let n = pipe.cmd_iter().count();
        match &self.conn {
            Conn::Standalone(c) => c.clone().req_packed_commands(pipe, 0, n).await,
            Conn::Cluster(c) => c.clone().req_packed_commands(pipe, 0, n).await,
        }
        .map_err(|e| self.err(e))
    }

    /// A pipeline about one key, sent to the node that holds it, whatever else it carries
    /// (keyless commands like `CLIENT NO-TOUCH`, which the cluster client would otherwise try
    /// to route by their first argument). Server errors come back in place.
    pub async fn key_pipeline(&self, key: &[u8], pipe: &Pipeline) -> Result<Vec<Value>> {
        let node = Node {
            addr: self.addr.to_string(),
            route: NodeRoute::SlotOf(key.to_vec()),
        };
        self.node_pipeline(&node, pipe).await
    }

    /// Who serves which slots, as every master sees it (`CLUSTER NODES`; `CLUSTER SLOTS`
    /// for an ACL without it). Two equal maps, each settled, mean no failover and no slot
    /// moved between them. A standalone server has one empty map forever.
    pub async fn topology(&self) -> Result<SlotMap> {
        if !self.is_cluster() {
            return Ok(SlotMap::default());
        }
        let mut views = Vec::new();
        match self
            .on_masters(&redis::cmd("CLUSTER").arg("NODES").clone())
            .await
        {
            Ok(replies) => {
                for (node, reply) in replies {
                    let text: String = self.value_on(&node, reply)?;
                    views.push(parse_cluster_nodes(&text));
                }
            }
            Err(e) if not_allowed(&e) => {
                for (node, reply) in self
                    .on_masters(&redis::cmd("CLUSTER").arg("SLOTS").clone())
                    .await?
                {
                    views.push(slot_map(&node, reply)?);
                }
            }
            Err(e) => return Err(e),
        }
        Ok(SlotMap::from_views(views))
    }

    /// Which server process `node` is: its `run_id`, when `INFO server` is allowed. A cursor
    /// (or a checkpoint) is only worth continuing on the process that issued it.
    pub async fn run_id(&self, node: &Node) -> Option<String> {
        let info = self.info_on(node, "server").await?;
        info.field("run_id").map(String::from)
    }

    /// `routed` for many commands, a few at a time; replies in the order given.
    pub async fn routed_each(
        &self,
        cmds: Vec<Cmd>,
        retries: u32,
        stop: &Stop,
    ) -> Vec<Result<Value>> {
        if let Err(Error::Unpermitted(verb)) = reads_only(&cmds) {
            return cmds
                .iter()
                .map(|_| Err(Error::Unpermitted(verb.clone())))
                .collect();
        }
        self.send_routed_each(cmds, retries, stop).await
    }

    /// `routed_each` for commands that change the server, under a permit.
    pub async fn write_routed_each(
        &self,
        permit: &Permit,
        cmds: Vec<Cmd>,
        retries: u32,
        stop: &Stop,
    ) -> Vec<Result<Value>> {
        if self.permitted(permit).is_err() {
            let refused = || self.permitted(permit).map(|()| Value::Nil);
            return cmds.iter().map(|_| refused()).collect();
        }
        self.send_routed_each(cmds, retries, stop).await
    }

    async fn send_routed_each(
        &self,
        cmds: Vec<Cmd>,
        retries: u32,
        stop: &Stop,
    ) -> Vec<Result<Value>> {
        stream::iter(cmds)
            .map(|cmd| async move { self.send_routed(&cmd, retries, stop).await })
            .buffered(ROUTED_CONCURRENCY)
            .collect()
            .await
    }

    /// One command about one key, sent wherever the key lives now: the cluster client follows
    /// MOVED and ASK and waits out TRYAGAIN; other passing refusals (LOADING, CLUSTERDOWN…)
    /// and dropped connections are sent again up to `retries` times, with backoff. For the
    /// keys of a batch the server sent elsewhere.
    pub async fn routed(&self, cmd: &Cmd, retries: u32, stop: &Stop) -> Result<Value> {
        reads_only([cmd])?;
        self.send_routed(cmd, retries, stop).await
    }

    async fn send_routed(&self, cmd: &Cmd, retries: u32, stop: &Stop) -> Result<Value> {
        let mut backoff = Backoff::redis(retries);
        loop {
            let reply = match &self.conn {
                Conn::Standalone(c) => c.clone().req_packed_command(cmd).await,
                Conn::Cluster(c) => c.clone().req_packed_command(cmd).await,
            }
            .map_err(|e| self.err(e));
            match reply {
                Ok(Value::ServerError(e)) => {
                    // A replica stays a replica: asking it again is no use (the caller's new
                    // connection finds the primary).
                    let demoted = e.code() == "READONLY";
                    let e = self.err(e.into());
                    if demoted || !e.is_transient() || !backoff.wait(stop).await {
                        return Err(e);
                    }
                }
                Ok(v) => return Ok(v),
                Err(e) if !e.is_transient() || !backoff.wait(stop).await => return Err(e),
                Err(_) => {}
            }
        }
    }

    /// Whether the server is a cluster node. `CLUSTER INFO` answers this for an application
    /// ACL (`+@all -@dangerous`), where `INFO` is refused; `INFO cluster` is the fallback for
    /// an ACL that has only it, and a server that allows neither is taken as standalone
    /// (`--cluster` says otherwise).
    pub(crate) async fn reports_cluster_enabled(&self) -> Result<bool> {
        match self
            .query::<String>(redis::cmd("CLUSTER").arg("INFO"))
            .await
        {
            Ok(info) => return Ok(info.contains("cluster_state:")),
            Err(Error::Redis { error, .. })
                if error.to_string().contains("cluster support disabled") =>
            {
                return Ok(false);
            }
            Err(e) if !not_allowed(&e) => return Err(e),
            Err(_) => {}
        }
        match self
            .query::<String>(redis::cmd("INFO").arg("cluster"))
            .await
        {
            Ok(info) => Ok(info.lines().any(|l| l.trim() == "cluster_enabled:1")),
            Err(e) if not_allowed(&e) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every master, each addressable on its own.
    pub async fn masters(&self) -> Result<Vec<Node>> {
        Ok(self
            .on_masters(&redis::cmd("PING"))
            .await?
            .into_iter()
            .map(|(node, _)| node)
            .collect())
    }

    /// Send `cmd` to every master and return each one's reply, in address order.
    pub async fn on_masters(&self, cmd: &Cmd) -> Result<Vec<(Node, Value)>> {
        reads_only([cmd])?;
        match &self.conn {
            Conn::Standalone(c) => {
                let v = c
                    .clone()
                    .req_packed_command(cmd)
                    .await
                    .map_err(|e| self.err(e))?;
                Ok(vec![(self.direct_node(), v)])
            }
            Conn::Cluster(c) => {
                let routing = RoutingInfo::MultiNode((MultipleNodeRoutingInfo::AllMasters, None));
                let reply = c
                    .clone()
                    .route_command(cmd.clone(), routing)
                    .await
                    .map_err(|e| self.err(e))?;
                let Value::Map(pairs) = reply else {
                    return Err(Error::Protocol {
                        addr: self.addr.to_string(),
                        command: "fan-out to masters",
                        detail: format!("expected a map of node replies, got {reply:?}"),
                    });
                };
                let mut out = Vec::with_capacity(pairs.len());
                for (k, v) in pairs {
                    let addr: String =
                        redis::from_redis_value(k).map_err(|e| self.err(e.into()))?;
                    let node = node_at(&addr).ok_or_else(|| Error::Protocol {
                        addr: self.addr.to_string(),
                        command: "fan-out to masters",
                        detail: format!("node address `{addr}` is not host:port"),
                    })?;
                    if let Value::ServerError(e) = v {
                        return Err(Error::redis(&addr, e.into()));
                    }
                    out.push((node, v));
                }
                out.sort_by(|a, b| a.0.addr.cmp(&b.0.addr));
                Ok(out)
            }
        }
    }

    fn direct_node(&self) -> Node {
        Node {
            addr: self.addr.to_string(),
            route: NodeRoute::Direct,
        }
    }

    /// The masters a scan for `pattern` must visit: all of them, or in a cluster just the owner
    /// of the pattern's hash tag when every match must carry it.
    pub async fn nodes_for(&self, pattern: &Glob) -> Result<Vec<Node>> {
        match (&self.conn, pattern.hash_tag_prefix()) {
            (Conn::Cluster(_), Some(prefix)) => match self.owner_of(prefix).await {
                Some(node) => Ok(vec![node]),
                None => Ok(vec![Node {
                    addr: format!("owner of {}", String::from_utf8_lossy(prefix)),
                    route: NodeRoute::SlotOf(prefix.to_vec()),
                }]),
            },
            _ => self.masters().await,
        }
    }

    /// The master serving `key`'s slot, by address, when the map says so.
    async fn owner_of(&self, key: &[u8]) -> Option<Node> {
        let slot: u16 = self
            .query(redis::cmd("CLUSTER").arg("KEYSLOT").arg(key))
            .await
            .ok()?;
        let map = self.topology().await.ok()?;
        let master = map.views().first()?.iter().find(|m| {
            m.slots
                .iter()
                .any(|&(first, last)| (first..=last).contains(&slot))
        })?;
        node_at(&master.addr)
    }

    /// Number of keys on `node` (DBSIZE).
    pub async fn dbsize(&self, node: &Node) -> Result<u64> {
        let mut pipe = redis::pipe();
        pipe.cmd("DBSIZE");
        let reply = self.node_pipeline(node, &pipe).await?;
        let value = reply.into_iter().next().unwrap_or(Value::Nil);
        self.value_on(node, value)
    }

    /// Decode a reply that came from `node`, naming the node when it is an error.
    pub fn value_on<T: FromRedisValue>(&self, node: &Node, value: Value) -> Result<T> {
        if let Value::ServerError(e) = value {
            return Err(Error::redis(&node.addr, e.into()));
        }
        redis::from_redis_value(value).map_err(|e| Error::redis(&node.addr, e.into()))
    }

    /// Decode a reply to a key-routed command, naming the store when it is an error.
    pub fn decode<T: FromRedisValue>(&self, value: Value) -> Result<T> {
        if let Value::ServerError(e) = value {
            return Err(self.err(e.into()));
        }
        redis::from_redis_value(value).map_err(|e| self.err(e.into()))
    }

    /// A pipeline to one node. Every command in it must concern that node: node-wide
    /// commands, or keys found on it. Server errors come back in place.
    pub async fn node_pipeline(&self, node: &Node, pipe: &Pipeline) -> Result<Vec<Value>> {
        reads_only(pipe.cmd_iter())?;
        self.send_node_pipeline(node, pipe).await
    }

    /// `node_pipeline` for a pipeline that changes the server, under a permit.
    pub async fn write_node_pipeline(
        &self,
        permit: &Permit,
        node: &Node,
        pipe: &Pipeline,
    ) -> Result<Vec<Value>> {
        self.permitted(permit)?;
        self.send_node_pipeline(node, pipe).await
    }

    async fn send_node_pipeline(&self, node: &Node, pipe: &Pipeline) -> Result<Vec<Value>> {
        let n = pipe.cmd_iter().count();
        let result = match (&self.conn, &node.route) {
            (Conn::Standalone(c), _) => c.clone().req_packed_commands(pipe, 0, n).await,
            (Conn::Cluster(c), NodeRoute::Address { host, port }) => {
                let route = SingleNodeRoutingInfo::ByAddress {
                    host: host.clone(),
                    port: *port,
                };
                c.clone().route_pipeline(pipe.clone(), 0, n, route).await
            }
            (Conn::Cluster(c), NodeRoute::SlotOf(key)) => {
                let route =
                    SingleNodeRoutingInfo::SpecificNode(Route::with_key(key, SlotAddr::Master));
                c.clone().route_pipeline(pipe.clone(), 0, n, route).await
            }
            (Conn::Cluster(c), NodeRoute::Direct) => {
                c.clone().req_packed_commands(pipe, 0, n).await
            }
        };
        result.map_err(|e| Error::redis(&node.addr, e))
    }

    /// `UNLINK`, or `DEL` on a server that predates it. Asked once per store.
    pub async fn delete_verb(&self) -> Result<&'static str> {
        self.delete_verb
            .get_or_try_init(|| async {
                // An ACL without COMMAND is no reason to fail: every server since 4.0 has UNLINK.
                let reply: Value = match self
                    .query(redis::cmd("COMMAND").arg("INFO").arg("UNLINK"))
                    .await
                {
                    Ok(v) => v,
                    Err(e) if not_allowed(&e) => return Ok("UNLINK"),
                    Err(e) => return Err(e),
                };
                let known =
                    matches!(&reply, Value::Array(items) if items.iter().any(|v| *v != Value::Nil));
                Ok(if known { "UNLINK" } else { "DEL" })
            })
            .await
            .copied()
    }

    /// Split keys into groups that one multi-key command may carry: everything in standalone
    /// mode, one group per slot in a cluster. Each group lists its keys' indices, in order,
    /// and the groups come in the order of their first keys: the same keys always give the
    /// same groups.
    pub fn slot_groups(&self, keys: &[Vec<u8>]) -> Vec<Vec<usize>> {
        match self.conn {
            Conn::Standalone(_) => vec![(0..keys.len()).collect()],
            Conn::Cluster(_) => {
                let mut groups: HashMap<Route, Vec<usize>> = HashMap::new();
                for (i, k) in keys.iter().enumerate() {
                    groups
                        .entry(Route::with_key(k, SlotAddr::Master))
                        .or_default()
                        .push(i);
                }
                let mut groups: Vec<Vec<usize>> = groups.into_values().collect();
                groups.sort_unstable_by_key(|g| g.first().copied());
                groups
            }
        }
    }

    /// One command per key, for any keys anywhere; replies in the order given. Standalone: one
    /// pipeline. Cluster: one pipeline per slot, many in flight.
    pub async fn per_key(&self, cmds: Vec<(Vec<u8>, Cmd)>) -> Result<Vec<Value>> {
        reads_only(cmds.iter().map(|(_, c)| c))?;
        self.send_per_key(cmds, false).await
    }

    /// `per_key` under `CLIENT NO-TOUCH` (Redis 7.2+, Valkey): reads that would reset the
    /// keys' idle time (HLEN, HSCAN, HPTTL of a hash) leave it as it was, so a report does
    /// not change what `--idle-over` or the eviction policy later see. Each pipeline sets it
    /// and clears it around its own commands; a server without it answers them the same.
    pub async fn per_key_untouched(&self, cmds: Vec<(Vec<u8>, Cmd)>) -> Result<Vec<Value>> {
        reads_only(cmds.iter().map(|(_, c)| c))?;
        self.send_per_key(cmds, true).await
    }

    /// `per_key` for commands that change the server, under a permit.
    pub async fn write_per_key(
        &self,
        permit: &Permit,
        cmds: Vec<(Vec<u8>, Cmd)>,
    ) -> Result<Vec<Value>> {
        self.permitted(permit)?;
        self.send_per_key(cmds, false).await
    }

    /// `untouched`: each pipeline between `CLIENT NO-TOUCH ON` and `OFF`, whose replies
    /// (an error, on a server without it) are left out.
    async fn send_per_key(&self, cmds: Vec<(Vec<u8>, Cmd)>, untouched: bool) -> Result<Vec<Value>> {
        let skip = usize::from(untouched);
        let bracket = |pipe: &mut Pipeline, on: &str| {
            if untouched {
                pipe.cmd("CLIENT").arg("NO-TOUCH").arg(on);
            }
        };
        match &self.conn {
            Conn::Standalone(c) => {
                let mut pipe = redis::pipe();
                bracket(&mut pipe, "ON");
                let n = cmds.len();
                for (_, cmd) in cmds {
                    pipe.add_command(cmd);
                }
                bracket(&mut pipe, "OFF");
                // The trailing OFF is read too (a reply left unread would be taken as the
                // next request's), then left out.
                let mut values = c
                    .clone()
                    .req_packed_commands(&pipe, skip, n + skip)
                    .await
                    .map_err(|e| self.err(e))?;
                values.truncate(n);
                Ok(values)
            }
            Conn::Cluster(c) => {
                let mut groups: HashMap<Route, (Vec<usize>, Pipeline)> = HashMap::new();
                for (i, (key, cmd)) in cmds.into_iter().enumerate() {
                    let entry = groups
                        .entry(Route::with_key(&key, SlotAddr::Master))
                        .or_insert_with(|| {
                            let mut pipe = redis::pipe();
                            bracket(&mut pipe, "ON");
                            (Vec::new(), pipe)
                        });
                    entry.0.push(i);
                    entry.1.add_command(cmd);
                }
                for (_, pipe) in groups.values_mut() {
                    bracket(pipe, "OFF");
                }
                let total: usize = groups.values().map(|g| g.0.len()).sum();
                let mut out = vec![Value::Nil; total];
                let replies: Vec<(Vec<usize>, Vec<Value>)> = stream::iter(groups)
                    .map(|(route, (idx, pipe))| {
                        let mut c = c.clone();
                        async move {
                            let n = idx.len();
                            let r = c
                                .route_pipeline(
                                    pipe,
                                    skip,
                                    n + skip,
                                    SingleNodeRoutingInfo::SpecificNode(route),
                                )
                                .await;
                            r.map(|values| (idx, values))
                        }
                    })
                    .buffer_unordered(SLOT_GROUP_CONCURRENCY)
                    .try_collect()
                    .await
                    .map_err(|e| self.err(e))?;
                for (idx, values) in replies {
                    for (i, v) in idx.into_iter().zip(values) {
                        out[i] = v;
                    }
                }
                Ok(out)
            }
        }
    }
}

/// Refuse, before anything is sent, a command that is not known to only read: whatever changes
/// the server goes through `Store::write*`, which takes a `guard::Permit`. An allowlist, so
/// that a command nobody thought of needs a permit too.
fn reads_only<'a>(cmds: impl IntoIterator<Item = &'a Cmd>) -> Result<()> {
    for cmd in cmds {
        let mut args = cmd.args_iter().filter_map(|a| match a {
            redis::Arg::Simple(b) => Some(b),
            _ => None,
        });
        let verb = args.next().unwrap_or_default();
        crate::guard::only_reads(verb, args.next().unwrap_or_default())?;
    }
    Ok(())
}

/// The server's version from `INFO server` (Valkey's own where it says so): what a backup
/// records of its source and `doctor` shows, asked of the store that both already hold.
pub async fn server_version(store: &Store) -> Option<String> {
    let info = store.info("server").await?;
    match info.field("valkey_version") {
        Some(v) => Some(format!("valkey {v}")),
        None => info.field("redis_version").map(String::from),
    }
}

/// One section of `INFO`, as the server wrote it.
pub struct Info(String);

impl Info {
    /// An INFO reply's text.
    pub fn from_text(text: &str) -> Info {
        Info(text.to_string())
    }

    /// The value of `name:` (trimmed), if the section has it.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.0.lines().find_map(|l| {
            l.strip_prefix(name)
                .and_then(|rest| rest.strip_prefix(':'))
                .map(str::trim)
        })
    }
}

/// A cluster's slot map as each master sees it: one view per distinct answer, sorted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SlotMap {
    views: Vec<Vec<MasterView>>,
}

/// One master with slots, as one node sees it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct MasterView {
    /// The node id (the first port, when only `CLUSTER SLOTS` could be read and the server
    /// sent no id).
    pub id: String,
    pub addr: String,
    /// The config epoch (0 when unknown): it grows whenever the node's slots change hands.
    pub epoch: u64,
    /// Slot ranges served, first to last, inclusive.
    pub slots: Vec<(u16, u16)>,
    /// Slots the node is migrating away or importing: their keys are moving while we look.
    pub moving: Vec<u16>,
}

impl SlotMap {
    /// The map every master agrees on, if they do and no slot is moving.
    pub fn settled(&self) -> Option<&[MasterView]> {
        match self.views.as_slice() {
            [one] if one.iter().all(|m| m.moving.is_empty()) => Some(one),
            _ => None,
        }
    }

    /// A map from views already read (one per distinct answer).
    pub fn from_views(mut views: Vec<Vec<MasterView>>) -> Self {
        views.sort();
        views.dedup();
        SlotMap { views }
    }

    /// Each master's view of the map (one per distinct answer).
    pub fn views(&self) -> &[Vec<MasterView>] {
        &self.views
    }

    /// The master at `addr` in a settled map.
    pub fn master_at(&self, addr: &str) -> Option<&MasterView> {
        self.settled()?.iter().find(|m| m.addr == addr)
    }
}

/// A `CLUSTER NODES` reply: its masters that serve or move slots.
fn parse_cluster_nodes(text: &str) -> Vec<MasterView> {
    let mut out = Vec::new();
    for line in text.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 8 || !fields[2].split(',').any(|f| f == "master") {
            continue;
        }
        // ip:port@cport[,hostname]
        let addr = fields[1].split(['@', ',']).next().unwrap_or_default();
        let mut view = MasterView {
            id: fields[0].to_string(),
            addr: addr.to_string(),
            epoch: fields[6].parse().unwrap_or(0),
            slots: Vec::new(),
            moving: Vec::new(),
        };
        for slot in &fields[8.min(fields.len())..] {
            if let Some(inner) = slot.strip_prefix('[') {
                // [slot->-node] migrating, [slot-<-node] importing
                if let Some(n) = inner.split('-').next().and_then(|n| n.parse().ok()) {
                    view.moving.push(n);
                }
                continue;
            }
            let (a, b) = slot.split_once('-').unwrap_or((slot, slot));
            if let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
                view.slots.push((a, b));
            }
        }
        if !view.slots.is_empty() || !view.moving.is_empty() {
            view.slots.sort();
            view.moving.sort();
            out.push(view);
        }
    }
    out.sort();
    out
}

/// A `CLUSTER SLOTS` reply as the same views, without epochs or moving slots.
fn slot_map(node: &Node, reply: Value) -> Result<Vec<MasterView>> {
    let Value::Array(ranges) = reply else {
        return Err(Error::Protocol {
            addr: node.addr().to_string(),
            command: "CLUSTER SLOTS",
            detail: format!("expected an array, got {reply:?}"),
        });
    };
    let mut masters: HashMap<(String, String), Vec<(u16, u16)>> = HashMap::new();
    for range in ranges {
        let Value::Array(parts) = range else { continue };
        let int = |i: usize| -> u16 {
            parts
                .get(i)
                .and_then(|v| redis::from_redis_value_ref(v).ok())
                .unwrap_or(0)
        };
        // [host, port, id, …] of the master; older servers send no id: the port stands in.
        let Some(Value::Array(m)) = parts.get(2) else {
            continue;
        };
        let text = |i: usize| {
            m.get(i)
                .and_then(|v| redis::from_redis_value_ref::<String>(v).ok())
                .unwrap_or_default()
        };
        let addr = format!("{}:{}", text(0), text(1));
        let id = m.get(2).map_or_else(|| text(1), |_| text(2));
        masters
            .entry((id, addr))
            .or_default()
            .push((int(0), int(1)));
    }
    let mut out: Vec<MasterView> = masters
        .into_iter()
        .map(|((id, addr), mut slots)| {
            slots.sort();
            MasterView {
                id,
                addr,
                epoch: 0,
                slots,
                moving: Vec::new(),
            }
        })
        .collect();
    out.sort();
    Ok(out)
}

/// A refusal in a pipeline's replies that is no verdict on the command, so the command is
/// worth sending again: the key lives
/// elsewhere now (MOVED, ASK), or the server asks to be asked again (TRYAGAIN, LOADING,
/// CLUSTERDOWN, MASTERDOWN, BUSY), or this server is a replica now (READONLY, after a
/// failover: a new connection finds the primary). The command is worth sending again.
pub fn worth_resending(e: &redis::ServerError) -> bool {
    matches!(
        e.code(),
        "MOVED"
            | "ASK"
            | "TRYAGAIN"
            | "LOADING"
            | "CLUSTERDOWN"
            | "MASTERDOWN"
            | "BUSY"
            | "READONLY"
    )
}

/// The server will not run this command here: an ACL without it (NOPERM), a renamed or
/// unknown command or subcommand, a command the server's config disallows (DEBUG, MODULE) or a
/// feature it has off. Something to work around, not a failure of the connection; any other
/// ERR (a wrong argument, a wrong type) is not this.
pub fn not_allowed(e: &Error) -> bool {
    let Error::Redis { error, .. } = e else {
        return false;
    };
    let text = error.to_string().to_ascii_lowercase();
    error.code() == Some("NOPERM")
        || (error.code() == Some("ERR")
            && [
                "unknown command",
                "unknown subcommand",
                "not allowed",
                "disabled",
                "no permissions",
            ]
            .iter()
            .any(|w| text.contains(w)))
}

fn node_at(addr: &str) -> Option<Node> {
    let (host, port) = addr.rsplit_once(':')?;
    let port = port.parse().ok()?;
    Some(Node {
        addr: addr.to_string(),
        route: NodeRoute::Address {
            host: host.trim_matches(['[', ']']).to_string(),
            port,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_nodes_lines() {
        let text = "\
07c3 127.0.0.1:30004@40004 slave e7d1 0 1426238317239 4 connected
67ed 127.0.0.1:30002@40002,host-b master - 0 1426238316232 2 connected 5461-10922 [10923->-292f]
292f 127.0.0.1:30003@40003 myself,master - 0 0 3 connected 10923-16383 [10923-<-67ed] 42
e7d1 127.0.0.1:30001@40001 master,fail - 0 0 1 connected
";
        let views = parse_cluster_nodes(text);
        assert_eq!(views.len(), 2, "{views:?}");
        let b = &views.iter().find(|v| v.id == "67ed").unwrap();
        assert_eq!(b.addr, "127.0.0.1:30002");
        assert_eq!(b.epoch, 2);
        assert_eq!(b.slots, vec![(5461, 10922)]);
        assert_eq!(b.moving, vec![10923]);
        let c = &views.iter().find(|v| v.id == "292f").unwrap();
        assert_eq!(c.slots, vec![(42, 42), (10923, 16383)]);
        assert_eq!(c.moving, vec![10923]);
        // A map where a slot moves is not settled.
        let map = SlotMap { views: vec![views] };
        assert!(map.settled().is_none());
    }
}
