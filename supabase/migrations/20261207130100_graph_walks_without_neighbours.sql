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

drop function if exists graph.neighbours(uuid, uuid);
