/* eslint-disable */
/**
 * Written by hand to match what `npx convex codegen` writes for this project (no components), because codegen
 * needs a configured deployment (the network) and convex-test needs this folder (codegen also exports `env`,
 * which no function here uses). `npx convex dev` or
 * `npx convex codegen` on a real deployment regenerates it; commit the result.
 */
import type { DataModelFromSchemaDefinition, DocumentByName, TableNamesInDataModel, SystemTableNames } from "convex/server";
import type { GenericId } from "convex/values";
import schema from "../schema.js";

export type TableNames = TableNamesInDataModel<DataModel>;
export type Doc<TableName extends TableNames> = DocumentByName<DataModel, TableName>;
export type Id<TableName extends TableNames | SystemTableNames> = GenericId<TableName>;
export type DataModel = DataModelFromSchemaDefinition<typeof schema>;
