// The body of every error answer (configstore/errors.ts ErrorBody): a message for people,
// a stable code for programs.
import Type, { type Static } from 'typebox';

export const ErrorResponse = Type.Object(
  {
    message: Type.String({ description: 'what failed and what to do' }),
    code: Type.String({ description: 'stable and machine-readable, e.g. userNotFound, invalidRequest, maintenanceMode' }),
  },
  { additionalProperties: false },
);
export type ErrorResponse = Static<typeof ErrorResponse>;
