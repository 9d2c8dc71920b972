-- The insight cycle (V9.7 user cycles, V11 InsightEngine): a person's next cycle is due
-- one period after their last (profiles.last_cycle_started_at) or, for the first, after sign-up,
-- and runs only when something happened since. The scheduled function asks for the due people in
-- batches and compiles each one's activity with one call; what it then writes (artifacts,
-- prompts, the profile) commits in one transaction that moves last_cycle_started_at by
-- compare-and-set, so a rerun or a concurrent runner of the same cycle writes nothing.

-- Finds the due people by when their current cycle began, oldest first.
create index if not exists profiles_cycle_reference_idx
  on public.profiles ((coalesce(last_cycle_started_at, created_at)))
  where account_status = 'active';

-- People whose insight cycle is due at p_now: active, a period past their last cycle (or sign-up),
-- with a message, memory or growth event since it began. Oldest cycles first, at most p_limit;
-- p_user_id asks about one person.
create or replace function private.users_due_for_insights(
  p_period interval, p_limit integer, p_now timestamptz default now(), p_user_id uuid default null
) returns table (user_id uuid, last_cycle_started_at timestamptz, since timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select p.user_id, p.last_cycle_started_at, coalesce(p.last_cycle_started_at, p.created_at)
  from public.profiles p
  where p.account_status = 'active'
    and (p_user_id is null or p.user_id = p_user_id)
    and coalesce(p.last_cycle_started_at, p.created_at) <= p_now - p_period
    and (
      exists (select 1 from public.messages m
              where m.user_id = p.user_id and m.created_at >= coalesce(p.last_cycle_started_at, p.created_at))
      or exists (select 1 from public.memories m
                 where m.user_id = p.user_id and m.created_at >= coalesce(p.last_cycle_started_at, p.created_at))
      or exists (select 1 from public.growth_events g
                 where g.user_id = p.user_id and g.created_at >= coalesce(p.last_cycle_started_at, p.created_at))
    )
  order by coalesce(p.last_cycle_started_at, p.created_at), p.user_id
  limit p_limit
$$;
comment on function private.users_due_for_insights(interval, integer, timestamptz, uuid) is
  'People whose insight cycle is due: a period since the last (or sign-up) and activity since.';
revoke all on function private.users_due_for_insights(interval, integer, timestamptz, uuid) from public, anon, authenticated;
grant execute on function private.users_due_for_insights(interval, integer, timestamptz, uuid) to service_role;

-- What a person did since p_since, as the cycle's compile phase needs it (one round trip):
-- conversation and message counts, recent conversation titles, the most important new memories,
-- and growth per dimension during the cycle beside the all-time total.
create or replace function private.insight_activity(p_user_id uuid, p_since timestamptz)
returns jsonb
language sql
stable
security definer
set search_path = ''
as $$
  select jsonb_build_object(
    'conversations', (select count(*) from public.conversations c
                      where c.user_id = p_user_id and c.created_at >= p_since),
    'messages', (select count(*) from public.messages m
                 where m.user_id = p_user_id and m.created_at >= p_since),
    'conversation_titles', coalesce((
      select jsonb_agg(t.title order by t.created_at desc) from (
        select c.title, c.created_at from public.conversations c
        where c.user_id = p_user_id and c.created_at >= p_since and c.title is not null
        order by c.created_at desc limit 10) t), '[]'::jsonb),
    'memories', coalesce((
      select jsonb_agg(t.label order by t.importance desc, t.created_at desc) from (
        select coalesce(m.title, left(m.content, 80)) as label, m.importance, m.created_at
        from public.memories m
        where m.user_id = p_user_id and m.created_at >= p_since
        order by m.importance desc, m.created_at desc limit 20) t), '[]'::jsonb),
    'growth', coalesce((
      select jsonb_agg(jsonb_build_object('dim_key', g.dim_key, 'total', g.total,
                                          'cycle_delta', g.cycle_delta) order by g.dim_key)
      from (select e.dim_key, sum(e.delta) as total,
                   coalesce(sum(e.delta) filter (where e.created_at >= p_since), 0) as cycle_delta
            from public.growth_events e where e.user_id = p_user_id group by e.dim_key) g), '[]'::jsonb)
  )
$$;
comment on function private.insight_activity(uuid, timestamptz) is
  'A person''s conversations, memories and growth since a cycle began, for the insight cycle.';
revoke all on function private.insight_activity(uuid, timestamptz) from public, anon, authenticated;
grant execute on function private.insight_activity(uuid, timestamptz) to service_role;
