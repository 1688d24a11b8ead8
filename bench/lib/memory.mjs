export async function memoryRun() { return { error: 'not implemented yet' }; }
