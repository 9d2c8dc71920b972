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
