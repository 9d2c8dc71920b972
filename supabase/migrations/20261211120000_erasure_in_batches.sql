-- An erasure deletes the person's bulk rows in bounded batches before Auth deletes the user
-- (shared/dotline/services/lifecycle/erasure.py). Auth's delete cascades through every table in
-- one transaction, and each deleted row fired the outbox trigger: for a person with 100k
-- memories that was 18.4 s and 200k outbox rows (10.6 s of it the outbox), each then delivered
-- to mirrors the erasure had already emptied, and a single statement that long outlives the
-- statement timeouts between Auth and Postgres, so such a person could not be erased at all.
-- A batch here deletes with `dotline.deletes_to = 'erased'` (private.enqueue_change queues
-- nothing: the erasure emptied the person's graph, vectors and cache before, and private.erasures
-- turns away any later delivery of theirs) and without memory history, and commits; the cascade
-- Auth then runs finds what little is left. A memory's search document goes with it in one
-- statement per batch (memories_search_documents_removed, 20261209130000).

create or replace function private.erase_rows_batch(
  p_user_id uuid,
  p_table text,
  p_batch_size integer default 5000
) returns integer
language plpgsql
security definer
set search_path = ''
set dotline.deletes_to = 'erased'
set dotline.skip_memory_history = 'on'
as $$
declare
  v_key text := case p_table when 'memories' then 'memory_id' when 'messages' then 'message_id' end;
  v_count integer;
begin
  if v_key is null then
    raise exception 'no batched erasure for table %', p_table using errcode = '22023';
  end if;
  if not exists (select from private.erasures e where e.user_id = p_user_id) then
    raise exception 'no erasure was requested for %', p_user_id using errcode = '22023';
  end if;
  execute format($sql$
    with batch as (
      select t.%1$I as key from public.%2$I t where t.user_id = $1 limit $2 for update skip locked
    ),
    gone as (
      delete from public.%2$I t using batch b where t.%1$I = b.key returning 1
    )
    select count(*)::integer from gone
  $sql$, v_key, p_table) into v_count using p_user_id, p_batch_size;
  return v_count;
end;
$$;
comment on function private.erase_rows_batch(uuid, text, integer) is
  'One erasure batch: deletes up to p_batch_size of the person''s rows of memories or messages (only once their erasure is requested), queueing no outbox change or store removal and recording no history; returns how many.';
revoke all on function private.erase_rows_batch(uuid, text, integer) from public, anon, authenticated;
grant execute on function private.erase_rows_batch(uuid, text, integer) to service_role;
