-- Secondary node labels: the seeds' Person and Location are concepts (every reader addresses them
-- as Concept: merges, search's graph channel, cards), and the graph also labels them so, as
-- Neo4j does with a second label. The graph port's GraphNode.extra_labels; replaced on every
-- upsert with the rest of the node.

alter table graph.nodes
  add column if not exists extra_labels text[] not null default '{}';

do $$
begin
  if not exists (
    select from pg_constraint where conname = 'nodes_extra_labels_known'
      and conrelid = 'graph.nodes'::regclass
  ) then
    alter table graph.nodes add constraint nodes_extra_labels_known
      check (extra_labels <@ array['Person', 'Location']::text[]);
  end if;
end;
$$;
comment on column graph.nodes.extra_labels is
  'Labels the node carries besides `label` (a person or place concept is also Person or Location).';

-- graph.neighbours_of as in 20261123131000_graph_store.sql, returning the neighbour's extra
-- labels too (a new result column: the function is dropped and made again).
drop function if exists graph.neighbours_of(uuid, uuid[], integer);
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
