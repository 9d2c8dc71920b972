-- Persona statistics: every aggregate persona analysis needs about one person, in one call, so
-- 100k behaviour events are reduced where they live and only a few kilobytes reach Python.
-- The analysis (shared/dotline/services/persona.py) turns these figures into the persona and
-- keeps them beside it, so each figure in a persona can be traced back to the counts and the
-- window that produced it.
--
-- An event's time is when it happened on the device (occurred_at) when the client said so,
-- else when it was stored; parts of the day are read in the person's own time zone
-- (profiles.timezone): morning 05-12, afternoon 12-17, evening 17-22, night 22-05.
-- Tags come from memories (memories.tags) and from events that carry them
-- (context.tags as an array of strings, or context.topic).

create or replace function private.persona_statistics(p_user_id uuid, p_days integer default 180)
returns jsonb
language sql
stable
security invoker
set search_path = ''
as $$
  with settings as (
    select coalesce((select p.timezone from public.profiles p where p.user_id = p_user_id), 'UTC') as tz,
           now() - make_interval(days => p_days) as since,
           now() as until
  ),
  -- Only what the aggregates need, computed once per event (100k rows are scanned once here).
  ev as materialized (
    select e.event_type, coalesce(e.target_entity_type, 'unknown') as item_type,
           e.duration_seconds, e.session_id,
           case when jsonb_typeof(e.context -> 'tags') = 'array' then e.context -> 'tags' end as tags,
           case when jsonb_typeof(e.context -> 'topic') = 'string' then e.context ->> 'topic' end as topic,
           coalesce(e.occurred_at, e.created_at) as at,
           (coalesce(e.occurred_at, e.created_at) at time zone s.tz) as local_at
    from public.behaviour_events e, settings s
    where e.user_id = p_user_id and e.created_at >= s.since
  ),
  daily as (
    select ev.local_at::date as day, count(*) as events,
           count(*) filter (where extract(hour from ev.local_at) between 5 and 11) as morning,
           count(*) filter (where extract(hour from ev.local_at) between 12 and 16) as afternoon,
           count(*) filter (where extract(hour from ev.local_at) between 17 and 21) as evening
    from ev group by 1
  ),
  mem as materialized (
    select m.memory_id, m.memory_type, m.tags, m.created_at
    from public.memories m, settings s
    where m.user_id = p_user_id and m.created_at >= s.since
      and (m.expires_at is null or m.expires_at > now())
  ),
  -- One row per piece of evidence for a tag: a memory carrying it (once, however spelt) or an
  -- event about it.
  tag_evidence as (
    select t.tag, 'memory' as source, mem.created_at as at
    from mem, lateral (select distinct lower(btrim(x)) as tag from unnest(mem.tags) as x) as t
    union all
    select lower(btrim(t.tag)), 'event', ev.at
    from ev, jsonb_array_elements_text(ev.tags) as t(tag)
    where ev.tags is not null
    union all
    select lower(btrim(ev.topic)), 'event', ev.at
    from ev where ev.topic is not null
  ),
  tags as (
    select te.tag,
           count(*) filter (where te.source = 'memory') as memories,
           count(*) filter (where te.source = 'event') as events,
           count(*) filter (where te.at >= now() - interval '28 days') as recent_28d,
           count(*) filter (where te.at < now() - interval '28 days'
                              and te.at >= now() - interval '56 days') as previous_28d,
           min(te.at) as first_at, max(te.at) as last_at
    from tag_evidence te
    where te.tag <> '' and char_length(te.tag) <= 100
    group by te.tag
    order by count(*) desc, te.tag
    limit 200
  ),
  top_tags as (select tag from tags order by memories + events desc, tag limit 30),
  tag_days as (
    select te.tag, (te.at at time zone s.tz)::date as day, count(*) as evidence
    from tag_evidence te join top_tags using (tag), settings s
    group by te.tag, 2
  ),
  tag_months as (
    select month, tag, evidence from (
      select to_char(te.at at time zone s.tz, 'YYYY-MM') as month, te.tag, count(*) as evidence,
             row_number() over (partition by to_char(te.at at time zone s.tz, 'YYYY-MM')
                                order by count(*) desc, te.tag) as rank
      from tag_evidence te, settings s
      where te.tag <> ''
      group by 1, 2
    ) ranked where rank <= 5
  ),
  tag_pairs as (
    select a.tag as a, b.tag as b, count(*) as together
    from mem, lateral (select distinct lower(btrim(t)) as tag from unnest(mem.tags) t) a,
         lateral (select distinct lower(btrim(t)) as tag from unnest(mem.tags) t) b
    where a.tag < b.tag
    group by 1, 2
    order by 3 desc, 1, 2
    limit 100
  )
  select jsonb_build_object(
    'window', (select jsonb_build_object('days', p_days, 'from', s.since, 'to', s.until, 'timezone', s.tz)
               from settings s),
    'events', (select jsonb_build_object(
                 'count', count(*),
                 'first_at', min(ev.at),
                 'last_at', max(ev.at),
                 'active_days', (select count(*) from daily),
                 'with_duration', count(ev.duration_seconds),
                 'total_duration_seconds', coalesce(sum(ev.duration_seconds), 0),
                 'median_duration_seconds',
                   percentile_cont(0.5) within group (order by ev.duration_seconds))
               from ev),
    'part_of_day', (select jsonb_build_object(
                      'morning', coalesce(sum(d.morning), 0),
                      'afternoon', coalesce(sum(d.afternoon), 0),
                      'evening', coalesce(sum(d.evening), 0),
                      'night', coalesce(sum(d.events - d.morning - d.afternoon - d.evening), 0))
                    from daily d),
    'content', coalesce((select jsonb_agg(jsonb_build_object(
                           'item_type', c.item_type, 'events', c.events,
                           'duration_seconds', c.duration_seconds) order by c.events desc, c.item_type)
                         from (select ev.item_type, count(*) as events,
                                      coalesce(sum(ev.duration_seconds), 0) as duration_seconds
                               from ev group by ev.item_type) c), '[]'::jsonb),
    'actions', coalesce((select jsonb_agg(jsonb_build_object(
                           'action_type', a.event_type, 'events', a.events) order by a.events desc, a.event_type)
                         from (select ev.event_type, count(*) as events from ev group by ev.event_type) a),
                        '[]'::jsonb),
    'sessions', (select jsonb_build_object(
                   'count', count(*),
                   'avg_events', avg(x.events)::float8,
                   'avg_duration_seconds', avg(x.duration_seconds)::float8)
                 from (select ev.session_id, count(*) as events, sum(ev.duration_seconds) as duration_seconds
                       from ev where ev.session_id is not null group by ev.session_id) x),
    'weekly', coalesce((select jsonb_agg(jsonb_build_object('week', w.week, 'events', w.events) order by w.week)
                        from (select date_trunc('week', d.day)::date as week, sum(d.events) as events
                              from daily d group by 1) w), '[]'::jsonb),
    'memories', (select jsonb_build_object(
                   'count', count(*),
                   'by_type', coalesce(jsonb_object_agg(t.memory_type, t.n) filter (where t.memory_type is not null), '{}'::jsonb))
                 from (select mem.memory_type, count(*) as n from mem group by 1) t),
    'tags', coalesce((select jsonb_agg(to_jsonb(tags) order by tags.memories + tags.events desc, tags.tag) from tags),
                     '[]'::jsonb),
    'tag_days', coalesce((select jsonb_agg(jsonb_build_object('tag', d.tag, 'day', d.day, 'evidence', d.evidence)
                                           order by d.tag, d.day) from tag_days d), '[]'::jsonb),
    'tag_months', coalesce((select jsonb_agg(jsonb_build_object('month', m.month, 'tag', m.tag, 'evidence', m.evidence)
                                             order by m.month, m.evidence desc, m.tag) from tag_months m), '[]'::jsonb),
    'tag_pairs', coalesce((select jsonb_agg(to_jsonb(tp) order by tp.together desc, tp.a, tp.b) from tag_pairs tp),
                          '[]'::jsonb),
    'concepts', coalesce((select jsonb_agg(jsonb_build_object(
                            'name', c.name, 'type', c.type, 'salience', c.salience, 'created_at', c.created_at)
                            order by c.salience desc nulls last, c.name)
                          from (select c.name, c.type, c.salience, c.created_at
                                from public.concepts c
                                where c.user_id = p_user_id and c.status = 'active'
                                order by c.salience desc nulls last, c.name
                                limit 100) c), '[]'::jsonb)
  )
$$;
comment on function private.persona_statistics(uuid, integer) is
  'Persona analysis inputs for one person over p_days days: events by part of day (their time zone), content, actions, sessions, weeks, tags, concepts.';
revoke all on function private.persona_statistics(uuid, integer) from public, anon, authenticated;
grant execute on function private.persona_statistics(uuid, integer) to service_role;
