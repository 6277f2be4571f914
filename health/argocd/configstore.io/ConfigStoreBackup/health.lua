-- Health of a ConfigStoreBackup (configstore.io/v1alpha1): the record of one export in a bucket, kept
-- by its schedule's inventory (operator/controllers/schedule/inventory.ts): Available True while its
-- manifest is in the bucket, False (and Missing True) once it is gone: it cannot be restored then.
-- No observedGeneration: the spec never changes (a CEL rule). Lua 5.1 with Argo CD's default
-- libraries: no string library.
local hs = {}

if obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "being deleted"
  return hs
end

local available = nil
if obj.status ~= nil and obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Available" then
      available = c
    end
  end
end
if available == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator (the inventory of its schedule's bucket)"
  return hs
end
if available.status == "True" then
  hs.status = "Healthy"
elseif available.status == "False" then
  hs.status = "Degraded"
else
  hs.status = "Progressing"
end
hs.message = available.message
return hs
