-- Media uploads through S3: a person asks for an upload, the item waits `pending` with
-- what they declared; once the object lands, the S3-event function hashes it and settles the item
-- as `ready`, `duplicate` (of an earlier ready item with the same bytes) or `failed` with a reason.
-- Every column this adds is the server's except what the person declares at create.

alter table public.media_items
  add column if not exists declared_size_bytes bigint,
  add column if not exists declared_sha256 text,
  add column if not exists detected_mime_type text,
  add column if not exists failure_reason text,
  add column if not exists duplicate_of_media_id uuid,
  add column if not exists processed_at timestamptz;

comment on column public.media_items.declared_size_bytes is
  'The size the person announced; the presigned PUT is signed for exactly this Content-Length.';
comment on column public.media_items.declared_sha256 is
  'The optional SHA-256 (hex) the person announced; an object that hashes otherwise fails.';
comment on column public.media_items.detected_mime_type is
  'The type the object''s leading bytes show (server-set), compared with mime_type.';
comment on column public.media_items.failure_reason is
  'Why processing failed, in words a person can act on; set exactly when processing_status = failed.';
comment on column public.media_items.duplicate_of_media_id is
  'The person''s earlier ready item with the same bytes; set exactly when processing_status = duplicate.';

-- `completed` becomes `ready`; `duplicate` is new (a duplicate holds no hash of its own, so the
-- per-person unique on hash still means: each distinct file is stored once).
update public.media_items set processing_status = 'ready' where processing_status = 'completed';
alter table public.media_items drop constraint if exists media_items_processing_status_valid;
alter table public.media_items add constraint media_items_processing_status_valid
  check (processing_status in ('pending', 'processing', 'ready', 'duplicate', 'failed'));

alter table public.media_items drop constraint if exists media_items_declared_size_positive;
alter table public.media_items add constraint media_items_declared_size_positive
  check (declared_size_bytes is null or declared_size_bytes > 0);
alter table public.media_items drop constraint if exists media_items_declared_sha256_format;
alter table public.media_items add constraint media_items_declared_sha256_format
  check (declared_sha256 is null or declared_sha256 ~ '^[0-9a-f]{64}$');
alter table public.media_items drop constraint if exists media_items_detected_mime_type_format;
alter table public.media_items add constraint media_items_detected_mime_type_format
  check (detected_mime_type is null or detected_mime_type ~* '^[a-z0-9.+-]+/[a-z0-9.+-]+$');
alter table public.media_items drop constraint if exists media_items_failure_reason_iff_failed;
alter table public.media_items add constraint media_items_failure_reason_iff_failed
  check ((processing_status = 'failed') = (failure_reason is not null)
         and (failure_reason is null or char_length(failure_reason) between 1 and 500));
alter table public.media_items drop constraint if exists media_items_duplicate_of_iff_duplicate;
alter table public.media_items add constraint media_items_duplicate_of_iff_duplicate
  check ((processing_status = 'duplicate') = (duplicate_of_media_id is not null)
         and duplicate_of_media_id is distinct from media_id);

-- A duplicate points at an item of the same person: (media_id, user_id) is the FK's target.
alter table public.media_items drop constraint if exists media_items_id_user_unique;
alter table public.media_items add constraint media_items_id_user_unique unique (media_id, user_id);
alter table public.media_items drop constraint if exists media_items_duplicate_of_fk;
alter table public.media_items add constraint media_items_duplicate_of_fk
  foreign key (duplicate_of_media_id, user_id) references public.media_items (media_id, user_id)
  on delete cascade;

-- The S3-event function finds an item by its object (storage_url = s3://bucket/key).
create unique index if not exists media_items_storage_url_unique on public.media_items (storage_url);
create index if not exists media_items_duplicate_of_idx on public.media_items (duplicate_of_media_id)
  where duplicate_of_media_id is not null;
create index if not exists media_items_user_status_created_idx
  on public.media_items (user_id, processing_status, created_at desc);

-- Declared values are the person's at create; everything the object tells is the server's.
grant insert (declared_size_bytes, declared_sha256) on table public.media_items to authenticated;

-- Settles a pending item once its object has been read: failed (with the reason), duplicate of the
-- person's ready item with the same hash, or ready. An item already settled is left as it is, so
-- a redelivered S3 event changes nothing. Two identical uploads settling at once are serialised
-- on (person, hash): the second sees the first ready and becomes its duplicate.
create or replace function private.settle_media_upload(
  p_media_id uuid,
  p_sha256 text,
  p_size_bytes bigint,
  p_detected_mime_type text,
  p_failure_reason text
) returns table (processing_status text, duplicate_of_media_id uuid, changed boolean)
language plpgsql
security invoker
set search_path = ''
as $$
declare
  v_item public.media_items;
  v_holder public.media_items;
begin
  select * into v_item from public.media_items m where m.media_id = p_media_id for update;
  if not found then
    return;
  end if;
  if v_item.processing_status not in ('pending', 'processing') then
    return query select v_item.processing_status, v_item.duplicate_of_media_id, false;
    return;
  end if;
  if p_failure_reason is not null then
    update public.media_items m
       set processing_status = 'failed', failure_reason = p_failure_reason, size_bytes = p_size_bytes,
           detected_mime_type = p_detected_mime_type, processed_at = now()
     where m.media_id = p_media_id;
    return query select 'failed'::text, null::uuid, true;
    return;
  end if;
  perform pg_advisory_xact_lock(hashtextextended(v_item.user_id::text || ':' || p_sha256, 0));
  select * into v_holder from public.media_items m
   where m.user_id = v_item.user_id and m.hash = p_sha256 and m.media_id <> p_media_id
   for update;
  if found and v_holder.processing_status = 'ready' then
    update public.media_items m
       set processing_status = 'duplicate', duplicate_of_media_id = v_holder.media_id,
           size_bytes = p_size_bytes, detected_mime_type = p_detected_mime_type, processed_at = now()
     where m.media_id = p_media_id;
    return query select 'duplicate'::text, v_holder.media_id, true;
    return;
  end if;
  if found then  -- a hash on an unsettled row (written directly, never by us) means nothing
    update public.media_items m set hash = null where m.media_id = v_holder.media_id;
  end if;
  update public.media_items m
     set processing_status = 'ready', hash = p_sha256, size_bytes = p_size_bytes,
         detected_mime_type = p_detected_mime_type, processed_at = now()
   where m.media_id = p_media_id;
  return query select 'ready'::text, null::uuid, true;
end;
$$;
comment on function private.settle_media_upload(uuid, text, bigint, text, text) is
  'Settles a pending media item after its object was read (S3-event function); idempotent.';
revoke all on function private.settle_media_upload(uuid, text, bigint, text, text) from public;
grant execute on function private.settle_media_upload(uuid, text, bigint, text, text) to service_role;

-- Deletes one of the caller's items and says which object may go with it. A ready item that has
-- duplicates hands its object and hash to the oldest duplicate (now ready) and the others follow
-- it, so their bytes stay and no object is to be deleted (a null url). No row: not the caller's.
create or replace function private.delete_media_item(p_media_id uuid)
returns table (object_url text)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_item public.media_items;
  v_heir uuid;
begin
  select * into v_item from public.media_items m
   where m.media_id = p_media_id and m.user_id = (select auth.uid())
   for update;
  if not found then
    return;
  end if;
  if v_item.processing_status = 'ready' then
    select m.media_id into v_heir from public.media_items m
     where m.duplicate_of_media_id = p_media_id
     order by m.created_at, m.media_id
     limit 1
     for update;
  end if;
  if v_heir is not null then
    -- Free the hash and the object's url (both unique) before the heir takes them; the
    -- duplicates must stop pointing here before the delete, whose FK action would cascade.
    update public.media_items m set hash = null, storage_url = 'deleted:' || m.media_id::text
     where m.media_id = p_media_id;
    update public.media_items m
       set processing_status = 'ready', duplicate_of_media_id = null, hash = v_item.hash,
           storage_url = v_item.storage_url, processed_at = now()
     where m.media_id = v_heir;
    update public.media_items m set duplicate_of_media_id = v_heir
     where m.duplicate_of_media_id = p_media_id;
  end if;
  delete from public.media_items m where m.media_id = p_media_id;
  return query select case when v_heir is null then v_item.storage_url end;
end;
$$;
comment on function private.delete_media_item(uuid) is
  'Deletes the caller''s media item (DELETE /v1/media/{id}); returns the object url to remove, if any.';
revoke all on function private.delete_media_item(uuid) from public;
grant execute on function private.delete_media_item(uuid) to authenticated, service_role;

-- Abandoned uploads: an item still `pending` a day after it was requested will never get its
-- bytes (its presigned URL lasted 15 minutes; a replayed create re-signs only within that day), so
-- it becomes `failed` with a reason instead of waiting forever. The person sees why and can delete
-- it (DELETE /v1/media/{id} also removes an object, should one have arrived without its event).
-- A pg_cron job runs it hourly through private.run_job(); callable by hand
-- (`select private.fail_abandoned_uploads();`). Batches skip rows the S3-event function holds.
create extension if not exists pg_cron;

-- Fails pending media items requested more than p_after ago, p_batch_size rows at a time.
create or replace function private.fail_abandoned_uploads(
  p_after interval default interval '1 day',
  p_batch_size integer default 1000,
  p_max_batches integer default 100
)
returns jsonb
language plpgsql
security definer
set search_path = ''
set lock_timeout = '5s'
as $$
declare
  v_failed bigint := 0;
  v_batch integer;
  v_batches integer := 0;
begin
  loop
    exit when v_batches >= p_max_batches;
    with batch as materialized (
      select m.media_id
      from public.media_items m
      where m.processing_status = 'pending' and m.created_at < now() - p_after
      limit p_batch_size
      for update skip locked
    )
    update public.media_items m
    set processing_status = 'failed',
        failure_reason = 'no upload arrived within ' || p_after::text || ' of the request',
        processed_at = now()
    from batch
    where m.media_id = batch.media_id;
    get diagnostics v_batch = row_count;
    v_failed := v_failed + v_batch;
    v_batches := v_batches + 1;
    exit when v_batch < p_batch_size;
  end loop;
  return jsonb_build_object('rows_failed', v_failed);
end;
$$;
comment on function private.fail_abandoned_uploads(interval, integer, integer) is
  'Job: pending media items older than p_after become failed with a reason; returns {"rows_failed": n}.';
revoke all on function private.fail_abandoned_uploads(interval, integer, integer) from public, anon, authenticated;
grant execute on function private.fail_abandoned_uploads(interval, integer, integer) to service_role;

-- cron.schedule() with a job name replaces the job of that name: re-applying changes nothing.
select cron.schedule(
  'fail-abandoned-uploads',
  '25 * * * *',
  $cmd$select private.run_job('fail-abandoned-uploads', 'select private.fail_abandoned_uploads()')$cmd$
);
