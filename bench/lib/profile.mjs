export async function profileRefresh() { return { error: 'not implemented yet' }; }
