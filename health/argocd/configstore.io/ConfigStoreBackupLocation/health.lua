-- Health of a ConfigStoreBackupLocation (configstore.io/v1alpha1): a bucket folder the operator lists
-- into ConfigStoreBackup records (operator/controllers/location/reconcile.ts). Ready True: the last
-- listing succeeded; Ready False (SyncFailed): the bucket could not be listed, so the records may be
-- stale and a restore may not see the newest backups. Lua 5.1 with Argo CD's default libraries.
local hs = {}

local function condition(conditions, type)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "being deleted (its ConfigStoreBackup records go with it; the bucket is untouched)"
  return hs
end

local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator (the first listing of the folder)"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to observe generation " .. tostring(generation) .. " (status is of generation " .. tostring(status.observedGeneration) .. ")"
  return hs
end

local ready = condition(status.conditions, "Ready")
local stalled = condition(status.conditions, "Stalled")
if (stalled ~= nil and stalled.status == "True") or (ready ~= nil and ready.status == "False") then
  hs.status = "Degraded"
  hs.message = status.message or ""
  return hs
end
if ready == nil or ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = status.message or ""
  return hs
end
hs.status = "Healthy"
hs.message = status.message or ""
return hs
