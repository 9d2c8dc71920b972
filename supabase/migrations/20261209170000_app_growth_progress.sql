-- Per-dimension progress in a coaching app: the growth a person earns from the memories they keep
-- in an app, added up along the six dimensions in user_progress.progress_data.dimensions (beside
-- the memory count). Kept by the pipeline in the transaction of the growth events, so it is exact
-- under retries: the ledger's deterministic event ids mean a replayed event is never inserted, and
-- so never counted, twice.

-- Statement trigger on growth_events (insert): adds each new event of a memory that belongs to an
-- app to the owner's progress in that app, one update per person and app whatever the batch size.
create or replace function private.count_app_growth() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  with per_dimension as (
    select e.user_id, m.app_id, e.dim_key, sum(e.delta) as delta
    from added e
    join public.memories m on m.memory_id = e.entity_id and m.user_id = e.user_id
    where e.entity_type = 'memory' and m.app_id is not null
    group by e.user_id, m.app_id, e.dim_key
  ),
  per_app as (
    select user_id, app_id, jsonb_object_agg(dim_key, delta) as deltas
    from per_dimension
    group by user_id, app_id
  )
  update public.user_progress up
  set progress_data = up.progress_data || jsonb_build_object('dimensions', (
        select jsonb_object_agg(d.key, round((
                 coalesce((up.progress_data -> 'dimensions' ->> d.key)::numeric, 0)
                 + coalesce((p.deltas ->> d.key)::numeric, 0)), 4))
        from unnest(array['self_know', 'self_act', 'self_show', 'world_know', 'world_act', 'world_show']) as d(key)))
  from per_app p
  where up.user_id = p.user_id and up.app_id = p.app_id;
  return null;
end;
$$;
comment on function private.count_app_growth() is
  'Trigger: adds new growth events of an app''s memories to user_progress.progress_data.dimensions.';
revoke all on function private.count_app_growth() from public, anon, authenticated;

drop trigger if exists growth_events_count_app_growth on public.growth_events;
create trigger growth_events_count_app_growth
  after insert on public.growth_events
  referencing new table as added
  for each statement execute function private.count_app_growth();
