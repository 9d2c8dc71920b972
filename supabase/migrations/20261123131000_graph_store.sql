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

-- The nodes one edge away from a user's node, either direction. Plain SQL without a SET clause so
-- the planner inlines it into the walks below (names are schema-qualified instead).
create or replace function graph.neighbours(p_user_id uuid, p_node_id uuid)
returns table (node_id uuid)
language sql
stable
as $$
  select e.target_id from graph.edges as e where e.user_id = p_user_id and e.source_id = p_node_id
  union all
  select e.source_id from graph.edges as e where e.user_id = p_user_id and e.target_id = p_node_id
$$;
comment on function graph.neighbours(uuid, uuid) is
  'Nodes one edge away from a user''s node in either direction (inlined into the walks).';

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
    select step.node_id, walk.distance + 1
    from walk
    cross join lateral graph.neighbours(p_user_id, walk.node_id) as step
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

-- The node ids of one shortest path from source to target (edges walked either way, at most
-- p_max_depth hops), or null when there is none. Bidirectional: distances from the source up to
-- half the depth (rounded up) and from the target up to the other half, so any path within
-- p_max_depth has a node both reach; the meeting node with the least total wins (smallest id on
-- ties, so the answer is stable), then each half is walked back through neighbours one hop nearer.
-- Each side explores ~degree^(depth/2) nodes instead of degree^depth.
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
    select step.node_id, walk.distance + 1
    from from_source as walk
    cross join lateral graph.neighbours(p_user_id, walk.node_id) as step
    where walk.distance < (p_max_depth + 1) / 2
  ),
  from_target (node_id, distance) as (
    select n.node_id, 0 from graph.nodes as n
    where n.user_id = p_user_id and n.node_id = p_target_id
    union
    select step.node_id, walk.distance + 1
    from from_target as walk
    cross join lateral graph.neighbours(p_user_id, walk.node_id) as step
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
      from graph.neighbours(p_user_id, walk.node_id) as step
      join source_side as s using (node_id)
      where s.distance = walk.distance - 1
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
      from graph.neighbours(p_user_id, walk.node_id) as step
      join target_side as t using (node_id)
      where t.distance = walk.distance - 1
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

revoke all on function graph.neighbours(uuid, uuid) from public, anon, authenticated;
revoke all on function graph.neighbourhood(uuid, uuid, integer, integer) from public, anon, authenticated;
revoke all on function graph.shortest_path(uuid, uuid, uuid, integer) from public, anon, authenticated;
grant execute on function graph.neighbours(uuid, uuid) to service_role;
grant execute on function graph.neighbourhood(uuid, uuid, integer, integer) to service_role;
grant execute on function graph.shortest_path(uuid, uuid, uuid, integer) to service_role;
