-- Health of a ConfigStoreCluster (configstore.io/v1alpha1): the configstore servers the operator runs.
-- From its conditions as operator/controllers/cluster/reconcile.ts writes them: kstatus (Ready: every
-- instance ready and rolled out; Stalled True: etcd cannot be read) and Bootstrapped (restore at
-- creation, cluster/bootstrap.ts). Lua 5.1 with Argo CD's default libraries: no string library.
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
  hs.message = "being deleted (its Deployment and Service go with it)"
  return hs
end

local status = obj.status
local ready = nil
if status ~= nil then
  ready = condition(status.conditions, "Ready")
end
if ready == nil then
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
local bootstrapped = condition(status.conditions, "Bootstrapped")
if bootstrapped ~= nil and bootstrapped.status == "False" and (bootstrapped.reason == "RestoreFailed" or bootstrapped.reason == "SourceMissing") then
  -- both wait for a person: delete the failed restore, or put the source in place
  hs.status = "Degraded"
  hs.message = bootstrapped.message
  return hs
end
if ready.status ~= "True" then
  hs.status = "Progressing"
  hs.message = ready.message
  return hs
end
if bootstrapped ~= nil and bootstrapped.status == "False" then
  hs.status = "Progressing"
  hs.message = bootstrapped.message
  return hs
end

hs.status = "Healthy"
hs.message = ready.message
if status.mode ~= nil and status.mode ~= "normal" then
  -- held by a ConfigStoreMaintenance (its own health says why), or instances that disagree
  hs.message = hs.message .. "; mode " .. status.mode
end
return hs
