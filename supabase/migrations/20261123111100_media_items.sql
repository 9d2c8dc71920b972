-- Media items (V9.7/V11 media_items; V7 memory_units.media_urls): uploaded images, audio and
-- documents, optionally attached to a memory, de-duplicated by content hash per person.

create table if not exists public.media_items (
  media_id uuid primary key default gen_random_uuid(),
  user_id uuid not null default auth.uid(),
  memory_id uuid,
  type text not null,
  storage_url text not null,
  filename text,
  mime_type text,
  size_bytes bigint,
  hash text,
  processing_status text not null default 'pending',
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  constraint media_items_user_fk foreign key (user_id) references auth.users (id) on delete cascade,
  constraint media_items_memory_fk foreign key (memory_id, user_id)
    references public.memories (memory_id, user_id) on delete set null (memory_id),
  constraint media_items_hash_unique_per_user unique (user_id, hash),
  constraint media_items_type_valid check (type in ('image', 'audio', 'document')),
  constraint media_items_storage_url_not_blank check (btrim(storage_url) <> ''),
  constraint media_items_filename_length check (filename is null or char_length(filename) between 1 and 255),
  constraint media_items_mime_type_format check (mime_type is null or mime_type ~* '^[a-z0-9.+-]+/[a-z0-9.+-]+$'),
  constraint media_items_size_bytes_nonnegative check (size_bytes is null or size_bytes >= 0),
  constraint media_items_hash_not_blank check (hash is null or btrim(hash) <> ''),
  constraint media_items_processing_status_valid check (processing_status in ('pending', 'processing', 'completed', 'failed')),
  constraint media_items_metadata_object check (jsonb_typeof(metadata) = 'object')
);
comment on table public.media_items is
  'Uploaded media (V9.7/V11 media_items), unique by content hash per person; processing_status is the server''s.';

alter table public.media_items enable row level security;

-- media_items_hash_unique_per_user (user_id, hash) also serves user_id lookups.
create index if not exists media_items_user_created_idx on public.media_items (user_id, created_at desc);
create index if not exists media_items_user_type_idx on public.media_items (user_id, type);
create index if not exists media_items_memory_idx on public.media_items (memory_id) where memory_id is not null;
create index if not exists media_items_unprocessed_idx on public.media_items (processing_status)
  where processing_status in ('pending', 'processing');

revoke all on table public.media_items from anon, authenticated;
grant select, delete on table public.media_items to authenticated;
grant insert (media_id, user_id, memory_id, type, storage_url, filename, mime_type, size_bytes, hash, metadata)
  on table public.media_items to authenticated;
grant update (memory_id, filename, metadata) on table public.media_items to authenticated;
grant all on table public.media_items to service_role;

drop policy if exists "Media items are readable by their owner" on public.media_items;
create policy "Media items are readable by their owner" on public.media_items
  for select to authenticated
  using (user_id = (select auth.uid()));

drop policy if exists "Media items are created by their owner" on public.media_items;
create policy "Media items are created by their owner" on public.media_items
  for insert to authenticated
  with check (user_id = (select auth.uid()));

drop policy if exists "Media items are editable by their owner" on public.media_items;
create policy "Media items are editable by their owner" on public.media_items
  for update to authenticated
  using (user_id = (select auth.uid()))
  with check (user_id = (select auth.uid()));

drop policy if exists "Media items are deletable by their owner" on public.media_items;
create policy "Media items are deletable by their owner" on public.media_items
  for delete to authenticated
  using (user_id = (select auth.uid()));
