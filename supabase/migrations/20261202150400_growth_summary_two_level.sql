-- The growth summary, faster (issue 6, bench/bench_growth.py): api.growth_summary counted
-- distinct entities per dimension over the whole ledger, a sort of every event; it now sums per
-- entity first (the ledger's (user_id, entity_type, entity_id, dim_key) index order), then per
-- dimension, about four times faster at 100k events. Same signature, same answers.

create or replace function api.growth_summary(p_user_id uuid)
returns table (dim_key text, total_score double precision, entity_count bigint, last_activity timestamptz)
language sql
stable
security invoker
set search_path = ''
as $$
  select per_entity.dim_key, sum(per_entity.total), count(*), max(per_entity.last_at)
  from (
    select e.dim_key, sum(e.delta) as total, max(e.created_at) as last_at
    from public.growth_events e
    where e.user_id = p_user_id
    group by e.dim_key, e.entity_type, e.entity_id
  ) per_entity
  group by per_entity.dim_key
  order by per_entity.dim_key
$$;
comment on function api.growth_summary(uuid) is
  'Per-dimension total, entity count and last activity for a user (RLS: callers see only their own).';
