-- graph.neighbours_of: one hop from several nodes at once, for the graph port's `neighbours`
-- (search expands its top hits through it: one round trip per search instead of one
-- neighbourhood walk per hit). A PL/pgSQL function so the statement's plan is cached per
-- connection: sent as text through the transaction pooler (no prepared statements), planning
-- it took longer than running it (1.5 ms against 1 ms at 10k memories).
--
-- For each seed: its strongest edge to each neighbour (either direction), then the heaviest
-- p_limit of those, ties by neighbour id. The primary key serves outgoing edges,
-- edges_user_id_target_id_idx incoming ones.

create or replace function graph.neighbours_of(p_user_id uuid, p_node_ids uuid[], p_limit integer)
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
         l.version::bigint, n.node_id, n.label, n.properties, n.version::bigint
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
  'One hop from each of a user''s nodes, either direction: the strongest edge to each neighbour, the heaviest p_limit per node (ties by id), with the neighbour. The graph port''s neighbours.';
revoke all on function graph.neighbours_of(uuid, uuid[], integer) from public, anon, authenticated;
grant execute on function graph.neighbours_of(uuid, uuid[], integer) to service_role;
