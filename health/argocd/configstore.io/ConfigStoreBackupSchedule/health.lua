-- Health of a ConfigStoreBackupSchedule (configstore.io/v1alpha1): exports of a cluster on a cron schedule.
-- From its conditions as operator/controllers/schedule/reconcile.ts writes them: kstatus (Ready /
-- Reconciling / Stalled; Stalled True = a schedule or time zone it cannot read) and BackupsHealthy
-- (False: the newest run failed, or no backup succeeded for two periods). Lua 5.1 with Argo CD's
-- default libraries: no string library.
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
  hs.message = "being deleted (its runs and their backups stay)"
  return hs
end

local status = obj.status
if status == nil or status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and (status.observedGeneration == nil or status.observedGeneration < generation) then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to observe generation " .. tostring(generation) .. " (status is of generation " .. tostring(status.observedGeneration) .. ")"
  return hs
end

local stalled = condition(status.conditions, "Stalled")
if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = stalled.message
  return hs
end

local backups = condition(status.conditions, "BackupsHealthy")
local message = status.message or ""
if backups ~= nil then
  message = message .. "; " .. backups.message
end
if status.inventory ~= nil and status.inventory.missing ~= nil and status.inventory.missing > 0 then
  message = message .. "; " .. tostring(status.inventory.missing) .. " ConfigStoreBackup record(s) Missing: their manifest left the bucket"
end

if obj.spec.suspend == true then
  hs.status = "Suspended"
  hs.message = message
  return hs
end
if backups ~= nil and backups.status == "False" then
  hs.status = "Degraded"
  hs.message = backups.message
  return hs
end
local ready = condition(status.conditions, "Ready")
if ready == nil or ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = message
  return hs
end
hs.status = "Healthy"
hs.message = message
return hs
