-- Health of a ConfigStoreMaintenance (configstore.io/v1alpha1): one operation, run once, like a Job.
-- From status.phase and status.step as operator/controllers/maintenance/ writes them (status.ts: phases
-- only move forward, Pending -> Running -> Succeeded | Failed, or Rejected). Its conditions follow
-- kstatus (Ready / Reconciling / Stalled). Lua 5.1 with Argo CD's default libraries: no string library.
-- No observedGeneration check: the spec is immutable (a CEL rule), so the generation never moves.
local hs = {}

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "being deleted: the operator aborts it (its Job goes, the maintenance it put is released)"
  return hs
end

local status = obj.status
if status == nil or status.phase == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator"
  return hs
end

local message = status.message or ""
if status.phase == "Succeeded" then
  -- also when kept in maintenance (keepMaintenance: step Hold): the message says so
  hs.status = "Healthy"
  hs.message = message
  return hs
end
if status.phase == "Failed" or status.phase == "Rejected" then
  hs.status = "Degraded"
  hs.message = message
  return hs
end
if status.outcome == "Failed" then
  -- failed already; ExitMaintenance releases the key before the phase turns Failed
  hs.status = "Degraded"
  hs.message = "failed, releasing the maintenance: " .. message
  return hs
end
if status.step == "Hold" then
  -- the cluster held on purpose (Ready True, MaintenanceHeld): later sync waves may run inside it
  hs.status = "Healthy"
  hs.message = message
  return hs
end

local where = status.phase
if status.step ~= nil then
  where = where .. " (" .. status.step
  if status.queuePosition ~= nil then
    where = where .. ", position " .. tostring(status.queuePosition)
  end
  where = where .. ")"
end
hs.status = "Progressing"
hs.message = where .. ": " .. message
return hs
