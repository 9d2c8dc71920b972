-- The embedded graph store (design decision 6): each user's knowledge graph as node and edge
-- tables, walked with recursive SQL. Production uses Neo4j behind the same port
-- (shared/dotline/ports/graph.py); this is the default when NEO4J_URI is unset. The schema is
-- not exposed through the Data API: only the server (service_role) reaches it, and every query
-- names the user, so rows carry user_id and every index leads with it.

create schema if not exists graph;
comment on schema graph is 'The embedded graph store (nodes, edges, traversal); server only, never exposed.';
revoke all on schema graph from public, anon, authenticated;
grant usage on schema graph to service_role;

-- A node of a user's graph. node_id is the id of the entity it stands for (memory, concept, ...),
-- globally unique; label and type lists mirror the port's Literal whitelists.
create table if not exists graph.nodes (
  node_id uuid not null,
  user_id uuid not null constraint nodes_user_fk references auth.users (id) on delete cascade,
  label text not null,
  properties jsonb not null default '{}'::jsonb,
  version bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint nodes_pkey primary key (node_id),
  constraint nodes_user_id_node_id_unique unique (user_id, node_id),
  constraint nodes_label_known check (label in (
    'User', 'MemoryUnit', 'Concept', 'DerivedArtifact', 'Community', 'Tag', 'Person', 'Location'
  )),
  constraint nodes_properties_object check (jsonb_typeof(properties) = 'object')
);
comment on table graph.nodes is
  'Nodes of each user''s knowledge graph (embedded graph store); a write older than version is ignored.';

alter table graph.nodes enable row level security;

create index if not exists nodes_user_id_label_idx on graph.nodes (user_id, label);

-- A directed, typed, weighted relationship between two nodes of the same user. The composite
-- foreign keys keep both ends inside the user's graph and take the edge away with either node.
create table if not exists graph.edges (
  user_id uuid not null,
  source_id uuid not null,
  target_id uuid not null,
  type text not null,
  weight double precision not null default 1,
  properties jsonb not null default '{}'::jsonb,
  version bigint not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint edges_pkey primary key (user_id, source_id, target_id, type),
  constraint edges_source_fk foreign key (user_id, source_id)
    references graph.nodes (user_id, node_id) on delete cascade,
  constraint edges_target_fk foreign key (user_id, target_id)
    references graph.nodes (user_id, node_id) on delete cascade,
  constraint edges_not_a_loop check (source_id <> target_id),
  constraint edges_type_known check (type in (
    'RELATED_TO', 'PART_OF', 'CREATED', 'EXPERIENCED', 'REFERENCES', 'EVOLVED_FROM',
    'HAPPENED_AT', 'INVOLVES', 'TAGGED_WITH', 'INSPIRED_BY', 'CONTRADICTS', 'SUPPORTS',
    'HIGHLIGHTS', 'OWNS'
  )),
  constraint edges_properties_object check (jsonb_typeof(properties) = 'object')
);
comment on table graph.edges is
  'Edges of each user''s knowledge graph, keyed (user, source, target, type); older versions ignored.';

alter table graph.edges enable row level security;

-- The primary key serves outgoing steps; this one serves incoming steps and the target FK.
create index if not exists edges_user_id_target_id_idx on graph.edges (user_id, target_id);

revoke all on table graph.nodes, graph.edges from public, anon, authenticated;
grant select, insert, update, delete on table graph.nodes, graph.edges to service_role;

-- A version number per user's graph in the embedded graph store, bumped by every write, so a
-- reader can tell "unchanged since I last looked" with one row read instead of reading the
-- whole graph (the cosmos projection: shared/dotline/services/graph_projection.py). Values come
-- from a sequence, so each committed state of a graph carries a value no other state had.
create sequence if not exists graph.user_version_seq;
comment on sequence graph.user_version_seq is 'Source of per-user graph versions (never reused).';

create table if not exists graph.user_versions (
  user_id uuid not null
    constraint user_versions_user_fk references auth.users (id) on delete cascade,
  version bigint not null,
  constraint user_versions_pkey primary key (user_id)
);
comment on table graph.user_versions is
  'The version of each user''s graph, bumped by every write to graph.nodes or graph.edges.';

alter table graph.user_versions enable row level security;

revoke all on table graph.user_versions from public, anon, authenticated;
revoke all on sequence graph.user_version_seq from public, anon, authenticated;
grant select, insert, update, delete on table graph.user_versions to service_role;
grant usage on sequence graph.user_version_seq to service_role;

-- Statement trigger: one bump per user a statement touched (`changed` is its transition table).
-- A user being erased (auth.users row already gone in this transaction) gets none, so the
-- cascade that removes their graph does not trip over the foreign key. Security definer: it
-- reads auth.users, which the graph's writer (service_role) need not see.
create or replace function graph.bump_user_versions() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into graph.user_versions as stored (user_id, version)
  select touched.user_id, nextval('graph.user_version_seq')
  from (select distinct changed.user_id from changed) as touched
  where exists (select from auth.users as u where u.id = touched.user_id)
  on conflict (user_id) do update set version = excluded.version;
  return null;
end;
$$;
comment on function graph.bump_user_versions() is
  'Trigger: gives every user whose graph a statement changed a fresh graph version.';
revoke all on function graph.bump_user_versions() from public, anon, authenticated;

drop trigger if exists nodes_bump_version_on_insert on graph.nodes;
create trigger nodes_bump_version_on_insert after insert on graph.nodes
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists nodes_bump_version_on_update on graph.nodes;
create trigger nodes_bump_version_on_update after update on graph.nodes
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists nodes_bump_version_on_delete on graph.nodes;
create trigger nodes_bump_version_on_delete after delete on graph.nodes
  referencing old table as changed for each statement execute function graph.bump_user_versions();

drop trigger if exists edges_bump_version_on_insert on graph.edges;
create trigger edges_bump_version_on_insert after insert on graph.edges
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists edges_bump_version_on_update on graph.edges;
create trigger edges_bump_version_on_update after update on graph.edges
  referencing new table as changed for each statement execute function graph.bump_user_versions();
drop trigger if exists edges_bump_version_on_delete on graph.edges;
create trigger edges_bump_version_on_delete after delete on graph.edges
  referencing old table as changed for each statement execute function graph.bump_user_versions();

-- graph.neighbours_of: one hop from several nodes at once, for the graph port's `neighbours`
-- (search expands its top hits through it: one round trip per search instead of one
-- neighbourhood walk per hit). A PL/pgSQL function so the statement's plan is cached per
-- connection: sent as text through the transaction pooler (no prepared statements), planning
-- it took longer than running it (1.5 ms against 1 ms at 10k memories).
--
-- For each seed: its strongest edge to each neighbour (either direction), then the heaviest
-- p_limit of those, ties by neighbour id. The primary key serves outgoing edges,
-- edges_user_id_target_id_idx incoming ones.
create function graph.neighbours_of(p_user_id uuid, p_node_ids uuid[], p_limit integer)
returns table (
  seed_id uuid,
  source_id uuid,
  target_id uuid,
  type text,
  weight double precision,
  properties jsonb,
  version bigint,
  node_id uuid,
  label text,
  node_extra_labels text[],
  node_properties jsonb,
  node_version bigint
)
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
  select seed.node_id, l.source_id, l.target_id, l.type, l.weight::double precision, l.properties,
         l.version::bigint, n.node_id, n.label, n.extra_labels, n.properties, n.version::bigint
  from (select distinct s.node_id from unnest(p_node_ids) as s (node_id)) as seed
  cross join lateral (
    select best.* from (
      select distinct on (x.other_id) x.*
      from (
        select e.source_id, e.target_id, e.type, e.weight, e.properties, e.version,
               e.target_id as other_id
        from graph.edges e where e.user_id = p_user_id and e.source_id = seed.node_id
        union all
        select e.source_id, e.target_id, e.type, e.weight, e.properties, e.version, e.source_id
        from graph.edges e where e.user_id = p_user_id and e.target_id = seed.node_id
      ) as x
      order by x.other_id, x.weight desc, x.type
    ) as best
    order by best.weight desc, best.other_id
    limit greatest(p_limit, 0)
  ) as l
  join graph.nodes n on n.user_id = p_user_id and n.node_id = l.other_id
  order by seed.node_id, l.weight desc, n.node_id;
end;
$$;
comment on function graph.neighbours_of(uuid, uuid[], integer) is
  'One hop from each of a user''s nodes, either direction: the strongest edge to each neighbour, the heaviest p_limit per node (ties by id), with the neighbour and its labels. The graph port''s neighbours.';
revoke all on function graph.neighbours_of(uuid, uuid[], integer) from public, anon, authenticated;
grant execute on function graph.neighbours_of(uuid, uuid[], integer) to service_role;

-- Every function carries `set search_path = ''` (Supabase's linter: function_search_path_mutable).
-- graph.neighbours had none on purpose: a SET clause keeps the planner from inlining a SQL
-- function, and the walks rely on it being inlined. A view takes its place: views are always
-- inlined, and the planner pushes a walk's `user_id` and `node_id` into each half of the union,
-- so each step is still two index probes (the edges' primary key outwards, edges_user_id_target_id_idx
-- inwards). Otherwise both walks are as in 20261123131000_graph_store.sql.
-- Each edge seen from both of its ends: one row per (user, node, neighbour) and direction.
create or replace view graph.adjacency
with (security_invoker = true)
as
  select e.user_id, e.source_id as node_id, e.target_id as neighbour_id from graph.edges as e
  union all
  select e.user_id, e.target_id, e.source_id from graph.edges as e;
comment on view graph.adjacency is
  'Each graph edge from both ends: (user_id, node_id, neighbour_id), edges walked either way.';
revoke all on table graph.adjacency from public, anon, authenticated;
grant select on table graph.adjacency to service_role;

-- Every node within p_depth hops of p_node_id (edges walked either way), nearest first, at most
-- p_limit of them; empty when the node is not the user's.
create or replace function graph.neighbourhood(
  p_user_id uuid, p_node_id uuid, p_depth integer, p_limit integer
)
returns table (node_id uuid, distance integer)
language sql
stable
rows 200
set search_path = ''
as $$
  with recursive walk (node_id, distance) as (
    select n.node_id, 0
    from graph.nodes as n
    where n.user_id = p_user_id and n.node_id = p_node_id
    union
    select step.neighbour_id, walk.distance + 1
    from walk
    join graph.adjacency as step on step.user_id = p_user_id and step.node_id = walk.node_id
    where walk.distance < p_depth
  )
  select walk.node_id, min(walk.distance)::integer as distance
  from walk
  group by walk.node_id
  order by distance, walk.node_id
  limit p_limit
$$;
comment on function graph.neighbourhood(uuid, uuid, integer, integer) is
  'Nodes within p_depth hops of a user''s node in either direction, nearest first, at most p_limit.';
revoke all on function graph.neighbourhood(uuid, uuid, integer, integer) from public, anon, authenticated;
grant execute on function graph.neighbourhood(uuid, uuid, integer, integer) to service_role;

-- The node ids of one shortest path from source to target (edges walked either way, at most
-- p_max_depth hops), or null when there is none. Bidirectional: distances from the source up to
-- half the depth (rounded up) and from the target up to the other half, so any path within
-- p_max_depth has a node both reach; the meeting node with the least total wins (smallest id on
-- ties, so the answer is stable), then each half is walked back through neighbours one hop nearer.
create or replace function graph.shortest_path(
  p_user_id uuid, p_source_id uuid, p_target_id uuid, p_max_depth integer
)
returns uuid[]
language sql
stable
set search_path = ''
as $$
  with recursive
  from_source (node_id, distance) as (
    select n.node_id, 0 from graph.nodes as n
    where n.user_id = p_user_id and n.node_id = p_source_id
    union
    select step.neighbour_id, walk.distance + 1
    from from_source as walk
    join graph.adjacency as step on step.user_id = p_user_id and step.node_id = walk.node_id
    where walk.distance < (p_max_depth + 1) / 2
  ),
  from_target (node_id, distance) as (
    select n.node_id, 0 from graph.nodes as n
    where n.user_id = p_user_id and n.node_id = p_target_id
    union
    select step.neighbour_id, walk.distance + 1
    from from_target as walk
    join graph.adjacency as step on step.user_id = p_user_id and step.node_id = walk.node_id
    where walk.distance < p_max_depth / 2
  ),
  source_side as (select node_id, min(distance) as distance from from_source group by node_id),
  target_side as (select node_id, min(distance) as distance from from_target group by node_id),
  meeting as (
    select s.node_id, s.distance as to_source, t.distance as to_target
    from source_side as s
    join target_side as t using (node_id)
    order by s.distance + t.distance, s.node_id
    limit 1
  ),
  back_to_source (node_id, distance, path) as (
    select node_id, to_source, array[node_id] from meeting
    union all
    select previous.node_id, walk.distance - 1, previous.node_id || walk.path
    from back_to_source as walk
    cross join lateral (
      select s.node_id
      from graph.adjacency as step
      join source_side as s on s.node_id = step.neighbour_id
      where step.user_id = p_user_id and step.node_id = walk.node_id
        and s.distance = walk.distance - 1
      order by s.node_id
      limit 1
    ) as previous
    where walk.distance > 0
  ),
  on_to_target (node_id, distance, path) as (
    select node_id, to_target, array[]::uuid[] from meeting
    union all
    select following.node_id, walk.distance - 1, walk.path || following.node_id
    from on_to_target as walk
    cross join lateral (
      select t.node_id
      from graph.adjacency as step
      join target_side as t on t.node_id = step.neighbour_id
      where step.user_id = p_user_id and step.node_id = walk.node_id
        and t.distance = walk.distance - 1
      order by t.node_id
      limit 1
    ) as following
    where walk.distance > 0
  )
  select (select path from back_to_source where distance = 0)
      || (select path from on_to_target where distance = 0)
$$;
comment on function graph.shortest_path(uuid, uuid, uuid, integer) is
  'Node ids of a shortest path between two of a user''s nodes (either direction), or null.';
revoke all on function graph.shortest_path(uuid, uuid, uuid, integer) from public, anon, authenticated;
grant execute on function graph.shortest_path(uuid, uuid, uuid, integer) to service_role;
