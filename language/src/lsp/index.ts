export { graphRequest, startServer, type GraphParams, type GraphResponse, type ServerOptions } from "./connection.js";
