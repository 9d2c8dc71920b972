-- Search context: what ranking needs to know about a memory hit beyond its text and vector
-- scores (GET /v1/search, services/search/_context.py).
--
-- A turn of a conversation is one memory; the search found the turn that asked ("Did the shelter
-- get back to you?") and missed the reply right after it that holds the answer, ranked the other
-- speaker's turns above those of the person the question names, and put short small talk ("Which
-- one?") on top. For each candidate memory this reads:
-- - occurred_at: when it happened (the ranking's time matching);
-- - speakers: the lower-cased names in its `people` (who said or did it);
-- - said: how many distinct meaningful words (English lexemes, stop words left out) its content
--   has: how much the memory says;
-- - next_memory_id: the next memory of the same source after it in time (the same conversation,
--   or for memories written without one, the same title: an imported session), looked for among
--   the person's next few memories only, so the cost does not grow with how many they have.
-- The next memories come back as rows of their own (next_of names the hit they follow), so one
-- call gives the hits and their replies.

-- The next memory in time: a range scan from the hit's occurred_at within its owner's memories.
create index if not exists memories_user_occurred_idx
  on public.memories (user_id, occurred_at)
  where occurred_at is not null;

create or replace function api.search_context(memory_ids uuid[])
returns table (
  memory_id uuid,
  occurred_at timestamptz,
  speakers text[],
  said integer,
  next_memory_id uuid,
  next_of uuid
)
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  me uuid := auth.uid();
begin
  if me is null or coalesce(cardinality(memory_ids), 0) = 0 then
    return;
  end if;
  return query
  with hits as (
    select m.memory_id, m.occurred_at, m.title, m.source_conversation_id, m.people
    from public.memories m
    where m.user_id = me and m.memory_id = any (memory_ids)
      and (m.expires_at is null or m.expires_at > now())
  ),
  nexts as (
    select h.memory_id as hit_id, n.memory_id as next_id
    from hits h
    cross join lateral (
      select c.memory_id
      from (
        -- the person's next few memories in time (memories_user_occurred_idx)
        select m.memory_id, m.title, m.source_conversation_id, m.occurred_at
        from public.memories m
        where m.user_id = me and h.occurred_at is not null
          and m.occurred_at is not null and m.occurred_at > h.occurred_at
          and (m.expires_at is null or m.expires_at > now())
        order by m.occurred_at, m.memory_id
        limit 8
      ) as c
      where c.source_conversation_id is not distinct from h.source_conversation_id
        and (h.source_conversation_id is not null or c.title is not distinct from h.title)
      order by c.occurred_at, c.memory_id
      limit 1
    ) as n
  ),
  wanted as (
    select h.memory_id, null::uuid as next_of from hits h
    union all
    select x.next_id, x.hit_id from nexts x
    where not exists (select 1 from hits h where h.memory_id = x.next_id)
  )
  select w.memory_id, m.occurred_at,
         array(select lower(p ->> 'name') from jsonb_array_elements(m.people) as p
               where jsonb_typeof(p) = 'object' and coalesce(p ->> 'name', '') <> ''),
         coalesce((select length(ts_filter(d.search_vector, '{b}'))
                   from public.search_documents d
                   where d.entity_type = 'memory' and d.entity_id = w.memory_id), 0)::integer,
         (select x.next_id from nexts x where x.hit_id = w.memory_id),
         w.next_of
  from wanted w
  join public.memories m on m.memory_id = w.memory_id and m.user_id = me;
end;
$$;
comment on function api.search_context(uuid[]) is
  'For GET /v1/search''s ranking: each of the caller''s given memories'' occurred_at, speakers (lower-cased people names), said (distinct content lexemes) and next memory of the same source in time; the next memories come back too, with next_of naming the hit they follow. Security invoker.';
revoke all on function api.search_context(uuid[]) from public, anon;
grant execute on function api.search_context(uuid[]) to authenticated, service_role;
