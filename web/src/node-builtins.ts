// Stands in for node:os and node:worker_threads in the browser bundle: the engine imports them only
// when it runs under Node (checked at run time), so the page never calls into this module.
export {};
